/// What the trace model works out from a message's bytes besides the header index: hashes of
/// the payload, the Call-ID, the top Via branch and the dialog tags, and the CSeq method. A decoding thread
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
    /// The message has a To tag. Like the tags' hashes, only looked for in the messages whose
    /// tags the model reads (`readsDialogTags`); false in the others.
    public var hasToTag: Bool
    /// `ByteHash.of` the From and To tags (0 when absent, or not looked for).
    public var fromTag: UInt64
    public var toTag: UInt64

    public init(payload: UInt64, callID: UInt64, branch: UInt32, cseqMethod: SIPMethod,
                hasToTag: Bool = false, fromTag: UInt64 = 0, toTag: UInt64 = 0) {
        self.payload = payload
        self.callID = callID
        self.branch = branch
        self.cseqMethod = cseqMethod
        self.hasToTag = hasToTag
        self.fromTag = fromTag
        self.toTag = toTag
    }

    /// The messages whose tags the model reads: INVITEs (a To tag makes one a re-INVITE) and
    /// 101-299 responses to INVITE (which make dialogs). A few of a call's messages: the tags
    /// of the others are not looked for.
    public static func readsDialogTags(_ sip: SIPMessageIndex, cseqMethod: SIPMethod) -> Bool {
        if let status = sip.status { return status > 100 && status < 300 && cseqMethod == .invite }
        return sip.method == .invite
    }

    /// Works it all out from `payload` and its index.
    public init(payload p: UnsafeRawBufferPointer, sip: SIPMessageIndex?) {
        guard let sip else {
            payload = ByteHash.of(p)
            callID = 0
            branch = 0
            cseqMethod = .other
            hasToTag = false
            fromTag = 0
            toTag = 0
            return
        }
        let callIDHash = sip.callID.map { ByteHash.of(p.slice($0)) } ?? 0
        let branchHash = sip.viaBranch.map { ByteHash.of(p.slice($0)) } ?? 0
        payload = ByteHash.ofSIPPayload(p, callID: callIDHash, branch: branchHash, cseq: sip.cseqNumber ?? 0)
        callID = callIDHash
        branch = UInt32(truncatingIfNeeded: branchHash)
        cseqMethod = sip.cseqMethod.map { SIPMethod(token: p.slice($0)) } ?? (sip.method ?? .other)
        // Found here, while the bytes are in this core's cache, and only where they are read.
        let to = MessageDigest.readsDialogTags(sip, cseqMethod: cseqMethod) ? sip.toTag(in: p) : nil
        hasToTag = to != nil
        toTag = to.map { ByteHash.of(p.slice($0)) } ?? 0
        fromTag = to != nil ? sip.fromTag(in: p).map { ByteHash.of(p.slice($0)) } ?? 0 : 0
    }
}
