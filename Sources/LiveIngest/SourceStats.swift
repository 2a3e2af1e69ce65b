import NIOConcurrencyHelpers
import WireDecoding

/// One listener's counters, added up over its connections (each connection decodes on its own
/// event loop, so each keeps its own decoder and reports snapshots here).
final class SourceStats: @unchecked Sendable {
    private let lock = NIOLock()
    private var live: [Int: DecodeCounters] = [:]
    private var closed = DecodeCounters()
    private var extra = DecodeCounters()
    private var nextID = 0

    func register() -> Int {
        lock.withLock {
            nextID += 1
            return nextID
        }
    }

    func update(_ id: Int, _ counters: DecodeCounters) {
        lock.withLock { live[id] = counters }
    }

    func close(_ id: Int, final counters: DecodeCounters) {
        lock.withLock {
            live[id] = nil
            closed.add(counters)
        }
    }

    /// Counts kept by the listener itself (connections, drops before decoding).
    func withExtra(_ body: (inout DecodeCounters) -> Void) {
        lock.withLock { body(&extra) }
    }

    /// Counts a new stream connection in, unless `limit` are open already (then counts it as
    /// refused and returns false). One step under the lock, so parallel accepts cannot overshoot.
    func admitConnection(limit: Int) -> Bool {
        lock.withLock {
            guard extra.connectionsOpen < limit else {
                extra.countDropped("connection limit reached")
                return false
            }
            extra.connectionsOpen += 1
            extra.connectionsAccepted += 1
            return true
        }
    }

    func snapshot() -> DecodeCounters {
        lock.withLock {
            var all = closed
            all.add(extra)
            for c in live.values { all.add(c) }
            return all
        }
    }
}
