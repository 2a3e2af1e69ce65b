/// What the trace model works out from a message's bytes besides the header index: hashes of
/// the payload, the Call-ID and the top Via branch, and the CSeq method. A decoding thread
/// fills it in while the bytes are still in its core's cache; the thread that builds the model
/// then reads the payload once (to confirm the Call-ID), not four times.
public struct MessageDigest: Sendable, Equatable {
    /// `ByteHash.ofPayload` of the payload.
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
        payload = ByteHash.ofPayload(p)
        callID = sip?.callID.map { ByteHash.of(p.slice($0)) } ?? 0
        branch = sip?.viaBranch.map { UInt32(truncatingIfNeeded: ByteHash.of(p.slice($0))) } ?? 0
        cseqMethod = sip?.cseqMethod.map { SIPMethod(token: p.slice($0)) } ?? (sip?.method ?? .other)
    }
}
