import WireDecoding

/// Where a call stands, as a SIP engineer reads a call list.
public enum CallState: UInt8, Sendable, CaseIterable {
    case calling, proceeding, ringing, inCall, completed, cancelled, rejected, busy, failed, diverted

    public var name: String {
        switch self {
        case .calling: "calling"
        case .proceeding: "proceeding"
        case .ringing: "ringing"
        case .inCall: "in call"
        case .completed: "completed"
        case .cancelled: "cancelled"
        case .rejected: "rejected"
        case .busy: "busy"
        case .failed: "failed"
        case .diverted: "diverted"
        }
    }

    /// Still going: no final outcome yet.
    public var isActive: Bool { self == .calling || self == .proceeding || self == .ringing || self == .inCall }
    /// Ended without being answered because the far end said no or could not.
    public var isFailure: Bool { self == .rejected || self == .busy || self == .failed }
}

/// One dialog of a call: the From tag and, once answered or ringing, the To tag. A forked INVITE
/// gives one early dialog per To tag.
public struct Dialog: Sendable, Hashable {
    public var fromTag: UInt64   // hash of the tag; 0 when absent
    public var toTag: UInt64
}

/// One transaction: top Via branch + CSeq method. CANCEL and the ACK of a non-2xx response are
/// matched to the INVITE transaction they belong to.
public struct Transaction: Sendable {
    // Four-byte fields first: twelve bytes a transaction rather than sixteen.
    public var branch: UInt32
    public var cseq: UInt32
    /// Final response status once seen (0 until then).
    public var finalStatus: UInt16 = 0
    public var method: SIPMethod

    public init(branch: UInt32, method: SIPMethod, cseq: UInt32, finalStatus: UInt16 = 0) {
        self.branch = branch
        self.cseq = cseq
        self.finalStatus = finalStatus
        self.method = method
    }
}

/// All messages of one Call-ID within one correlation id (its identity), with what they mean.
public struct Call: Sendable {
    public var callID: UInt32          // string id
    /// The HEP correlation id the call's messages carried (0: none).
    public var hepCorrelation: UInt32
    public var group: UInt32
    var positionInGroup: Int32 = 0
    /// How many messages, and the first and newest in arrival order (-1: none). The rest are
    /// chained through `MessageRecord.previousInCall`; `TraceStore.messages(of:)` lists them.
    public internal(set) var messageCount: UInt32 = 0
    public internal(set) var firstMessage: Int32 = -1
    public internal(set) var lastMessage: Int32 = -1
    public var firstTime = Timestamp(nanoseconds: .max)
    public var lastTime = Timestamp(nanoseconds: .min)

    /// The method of the call's first request (INVITE, REGISTER, OPTIONS...).
    public var kind: SIPMethod = .other
    public var kindKnown = false
    public var state: CallState = .calling
    /// The final status that decided the state (486, 200...), 0 when none.
    public var finalStatus: UInt16 = 0
    // Stored as raw nanoseconds with a sentinel: an optional Timestamp would take twice the room.
    var inviteNanos = Int64.min
    var ringNanos = Int64.min
    var answerNanos = Int64.min
    var byeNanos = Int64.min

    public internal(set) var inviteTime: Timestamp? {
        get { inviteNanos == .min ? nil : Timestamp(nanoseconds: inviteNanos) }
        set { inviteNanos = newValue?.nanoseconds ?? .min }
    }
    public internal(set) var ringTime: Timestamp? {
        get { ringNanos == .min ? nil : Timestamp(nanoseconds: ringNanos) }
        set { ringNanos = newValue?.nanoseconds ?? .min }
    }
    public internal(set) var answerTime: Timestamp? {
        get { answerNanos == .min ? nil : Timestamp(nanoseconds: answerNanos) }
        set { answerNanos = newValue?.nanoseconds ?? .min }
    }
    public internal(set) var byeTime: Timestamp? {
        get { byeNanos == .min ? nil : Timestamp(nanoseconds: byeNanos) }
        set { byeNanos = newValue?.nanoseconds ?? .min }
    }
    public var retransmissions: UInt32 = 0
    /// INVITEs inside an established dialog (they carry a To tag), each CSeq counted once even
    /// when a proxy forwards it.
    public var reinvites: UInt32 = 0
    var lastReinviteCSeq: UInt32 = 0
    // The call's dialogs and transactions live in the store's shared lists (`dialogs(of:)`,
    // `transactions(of:)`): the newest node of each, and how many there are.
    var lastDialog: Int32 = -1
    var lastTransaction: Int32 = -1
    public internal(set) var dialogCount: UInt32 = 0
    public internal(set) var transactionCount: UInt32 = 0
    /// From and To of the first request (string ids of the URI user part), for call lists.
    public var fromUser: UInt32 = 0
    public var toUser: UInt32 = 0
    /// One bit per message, chosen by its payload hash: a message whose bit is clear has no
    /// earlier copy in the call, and the search for one (a read of every earlier record) is
    /// skipped. Most messages are not retransmissions.
    var payloadSignature: UInt64 = 0

    init(callID: UInt32, hepCorrelation: UInt32, group: UInt32) {
        self.callID = callID
        self.hepCorrelation = hepCorrelation
        self.group = group
    }

    /// Post-dial delay: INVITE to the first 18x.
    public var postDialDelay: Int64? { Call.span(from: inviteNanos, to: ringNanos) }

    /// Setup time: INVITE to the 200 that answered it.
    public var setupTime: Int64? { Call.span(from: inviteNanos, to: answerNanos) }

    /// Duration: answer to BYE.
    public var duration: Int64? { Call.span(from: answerNanos, to: byeNanos) }

    /// Nanoseconds from one stored time to another (saturating), nil when either is missing
    /// (Int64.min). Group figures work theirs out the same way from the raw fields. Nil too
    /// when the later one is stamped earlier (clocks of two capture points apart, a reordered
    /// capture): no latency is known then, and 0 would count in a session's percentiles.
    static func span(from: Int64, to: Int64) -> Int64? {
        guard from != .min, to != .min else { return nil }
        let span = Timestamp(nanoseconds: to).nanoseconds(since: Timestamp(nanoseconds: from))
        return span >= 0 ? span : nil
    }

    public var wasAnswered: Bool { answerNanos != .min }
}

/// Why two calls were joined.
public enum LinkReason: Hashable, Sendable {
    case xCallID          // X-CID / X-Call-ID naming the other Call-ID
    case sessionID        // RFC 7989 Session-ID
    case icidValue        // P-Charging-Vector icid-value
    case header(UInt32)   // a configured header (string id of its name)

    public func name(_ strings: ByteStringTable) -> String {
        switch self {
        case .xCallID: "X-CID"
        case .sessionID: "Session-ID"
        case .icidValue: "P-Charging-Vector"
        case .header(let id): strings.string(id)
        }
    }
}

public struct CallLink: Sendable, Hashable {
    public var other: Int32
    public var reason: LinkReason
}
