import WireDecoding

/// Where a group's identity came from.
public enum CorrelationSource: Hashable, Sendable {
    /// HEP chunk 0x11.
    case hep
    /// Calls joined only by header links (X-CID, Session-ID, ...): the first link's reason.
    case link(LinkReason)
    /// No correlation at all: the "uncorrelated" bucket.
    case none

    public func name(_ strings: ByteStringTable) -> String {
        switch self {
        case .hep: "hep"
        case .none: "none"
        case .link(let reason): reason.name(strings).lowercased()
        }
    }
}

/// A test session: everything that carried one correlation id (or was linked to it).
public struct CorrelationGroup: Sendable {
    /// String id of the HEP correlation id; 0 for the uncorrelated bucket and link groups, but
    /// for a link group that keeps the name it had in the model it was shown from (its A-leg
    /// may be filtered out).
    public var correlationID: UInt32
    public var source: CorrelationSource
    public internal(set) var calls: [Int32] = []
    /// Non-SIP HEP events (logs, RTCP reports) of this group.
    public internal(set) var events: [Int32] = []
    public internal(set) var messageCount = 0
    public internal(set) var firstTime = Timestamp(nanoseconds: .max)
    public internal(set) var lastTime = Timestamp(nanoseconds: .min)
    public internal(set) var statistics = GroupStatistics()
    /// Calls (and their messages) the memory budget dropped from this session while keeping it:
    /// one session alone was over the budget. `statistics` still counts them.
    public internal(set) var droppedCalls = 0
    public internal(set) var droppedMessages = 0

    /// The session's messages, with those the budget dropped while keeping it: what its
    /// figures (message count, rate) describe.
    public var sessionMessageCount: Int { messageCount + droppedMessages }
    /// Arrival number of the group's latest message: "least recently active" is measured in
    /// what we received, not in the senders' clocks (a replay repeats the same timestamps).
    public internal(set) var lastArrival = 0
    /// Set when the group was merged into another one (link groups only).
    public internal(set) var retired = false
    /// Set when calls left the group (they were linked elsewhere): first/last time may then be
    /// wider than what remains, and readers recompute them.
    var timesStale = false

    public var isEmpty: Bool { calls.isEmpty && events.isEmpty }

    mutating func touch(_ t: Timestamp) {
        if t < firstTime { firstTime = t }
        if t > lastTime { lastTime = t }
    }
}
