import Foundation
import WireDecoding

/// A bounded hand-over between one decoding thread and the thread building the model: the
/// decoder waits when the model falls behind, so memory stays bounded by a few batches.
final class BatchPipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(MessageBatch, Int)] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Hands over a batch with the input position it reaches.
    func put(_ batch: MessageBatch, position: Int) {
        condition.lock()
        while items.count >= capacity && !closed { condition.wait() }
        items.append((batch, position))
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil once closed and empty.
    func take() -> (MessageBatch, Int)? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let first = items.removeFirst()
        condition.signal()
        return first
    }
}
