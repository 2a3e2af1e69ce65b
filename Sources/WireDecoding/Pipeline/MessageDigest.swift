/// What the trace model works out from a message's bytes besides the header index: hashes of
/// the payload, the Call-ID and the top Via branch, and the CSeq method. A decoding thread
/// fills it in while the bytes are still in its core's cache; the thread that builds the model
/// then reads the payload once (to confirm the Call-ID), not four times.
public struct MessageDigest: Sendable, Equatable {
    /// `ByteHash.ofSIPPayload` of the payload (`ByteHash.of` when it is not SIP).
    public var payload: UInt64
    /// `ByteHash.of` the Call-ID value (0 without one).
    public var callID: UInt64
    /// Low half of `ByteHash.of` the top Via branch (0 without one).
    public var branch: UInt32
    /// The CSeq method, or the request method when there is no CSeq method.
    public var cseqMethod: SIPMethod

    public init(payload: UInt64, callID: UInt64, branch: UInt32, cseqMethod: SIPMethod) {
        self.payload = payload
        self.callID = callID
        self.branch = branch
        self.cseqMethod = cseqMethod
    }

    /// Works it all out from `payload` and its index.
    public init(payload p: UnsafeRawBufferPointer, sip: SIPMessageIndex?) {
        guard let sip else {
            payload = ByteHash.of(p)
            callID = 0
            branch = 0
            cseqMethod = .other
            return
        }
        let callIDHash = sip.callID.map { ByteHash.of(p.slice($0)) } ?? 0
        let branchHash = sip.viaBranch.map { ByteHash.of(p.slice($0)) } ?? 0
        payload = ByteHash.ofSIPPayload(p, callID: callIDHash, branch: branchHash, cseq: sip.cseqNumber ?? 0)
        callID = callIDHash
        branch = UInt32(truncatingIfNeeded: branchHash)
        cseqMethod = sip.cseqMethod.map { SIPMethod(token: p.slice($0)) } ?? (sip.method ?? .other)
    }
}
