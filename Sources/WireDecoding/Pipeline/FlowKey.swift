/// One direction of a conversation: the key for per-direction stream state.
public struct FlowKey: Hashable, Sendable {
    public var source: Endpoint
    public var destination: Endpoint
    /// The capture interface (pcapng) the direction was seen on: the same connection captured
    /// on two interfaces is two streams, each whole, whose messages are sightings of each other.
    public var interface: Int

    public init(_ source: Endpoint, _ destination: Endpoint, interface: Int = 0) {
        self.source = source
        self.destination = destination
        self.interface = interface
    }
}
