import Foundation
import TraceModel

/// An eviction rebuilt on a thread of its own, from a copy of the model: the rebuild takes about
/// a microsecond a kept message, seconds for a big session, and the owner's screen would stop
/// for all of it. Meanwhile the owner reads the old model, which nobody changes, and holds back
/// what comes in; it then adopts the outcome and adds what it held.
final class AsideEviction: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: EvictionOutcome?
    private var finished = false

    /// Starts the rebuild of `model` (a copy made with `readableAside`); `first` runs on its
    /// thread before (tests hold the rebuild there), `whenDone` once the outcome can be taken.
    init(of model: TraceStore, first: @escaping @Sendable () -> Void = {}, whenDone: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            first()
            let made = model.evictedForBudget()
            lock.withLock {
                outcome = made
                finished = true
            }
            whenDone()
        }
        thread.name = "hepscope-evict"
        thread.start()
    }

    /// Still rebuilding: nil; done: the outcome, or nil inside when nothing had to go.
    func take() -> EvictionOutcome?? {
        lock.withLock { finished ? .some(outcome) : .none }
    }
}
