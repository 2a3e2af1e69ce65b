/// Access to the inputs behind payloads, for readers that need more of a file than one
/// payload (the viewer reads a frame's capture time back from it).
extension TraceStore {
    /// The input registered as `id` by `addInput` (1...), or nil for the arena or an unknown id.
    public func payloadSource(_ id: UInt16) -> (any PayloadSource)? {
        guard id >= 1, Int(id) <= inputs.count else { return nil }
        return inputs[Int(id) - 1]
    }
}
