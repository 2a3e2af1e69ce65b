/// What the decoders saw, including everything they had to skip. Bad input is counted with a
/// reason and never silently dropped; these figures reach `print --summary` and the status bar.
public struct DecodeCounters: Sendable, Equatable {
    /// Capture frames or received datagrams looked at.
    public var packets = 0
    public var bytes = 0
    /// HEP packets decoded, by version (index 1, 2, 3).
    public var hepByVersion = [0, 0, 0, 0]
    public var sipMessages = 0
    /// Non-SIP HEP payloads (logs, RTCP reports, ...), kept as events.
    public var otherEvents = 0
    /// Frames with nothing for us (RTP, ARP, DNS ...): not errors.
    public var ignored = 0
    /// Reason -> count for everything that could not be decoded.
    public private(set) var malformedReasons: [String: Int] = [:]
    /// Reason -> count for good packets deliberately discarded (wrong auth key, a full queue).
    public private(set) var droppedReasons: [String: Int] = [:]
    /// Stream listeners: connections accepted so far, and open now.
    public var connectionsAccepted = 0
    public var connectionsOpen = 0

    public init() {}

    public var malformed: Int { malformedReasons.values.reduce(0, +) }
    public var dropped: Int { droppedReasons.values.reduce(0, +) }

    public mutating func countDropped(_ reason: String, _ n: Int = 1) {
        droppedReasons[reason, default: 0] += n
    }
    public var hepPackets: Int { hepByVersion.reduce(0, +) }

    public mutating func countMalformed(_ reason: String) {
        malformedReasons[reason, default: 0] += 1
    }

    public mutating func add(_ other: DecodeCounters) {
        packets += other.packets
        bytes += other.bytes
        for i in 0..<hepByVersion.count { hepByVersion[i] += other.hepByVersion[i] }
        sipMessages += other.sipMessages
        otherEvents += other.otherEvents
        ignored += other.ignored
        for (k, v) in other.malformedReasons { malformedReasons[k, default: 0] += v }
        for (k, v) in other.droppedReasons { droppedReasons[k, default: 0] += v }
        connectionsAccepted += other.connectionsAccepted
        connectionsOpen += other.connectionsOpen
    }
}
