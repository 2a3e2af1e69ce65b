/// What a relay to an upstream collector did with the packets received.
public struct RelayCounters: Sendable, Equatable {
    /// Where it forwards to, as given ("udp://10.0.0.5:9060").
    public var target: String
    public var forwarded = 0
    /// Not forwarded: no connection upstream, or too many waiting to be written.
    public var dropped = 0
    public var connects = 0

    public init(target: String, forwarded: Int = 0, dropped: Int = 0, connects: Int = 0) {
        self.target = target
        self.forwarded = forwarded
        self.dropped = dropped
        self.connects = connects
    }
}
