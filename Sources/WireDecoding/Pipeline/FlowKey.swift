/// One direction of a conversation: the key for per-direction stream state.
public struct FlowKey: Hashable, Sendable {
    public var source: Endpoint
    public var destination: Endpoint

    public init(_ source: Endpoint, _ destination: Endpoint) {
        self.source = source
        self.destination = destination
    }
}
