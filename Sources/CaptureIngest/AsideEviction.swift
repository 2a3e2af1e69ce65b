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
        let rebuild: @Sendable () -> Void = { [self] in
            first()
            // Handed over, not copied: the owner adopts the rebuilt model and goes on adding to
            // it, and a second reference left here would make its next change copy it whole.
            var made = model.evictedForBudget()
            lock.withLock {
                swap(&outcome, &made)
                finished = true
            }
            whenDone()
        }
        // Without another thread, on this one: the screen stops for it, as it used to.
        if DetachedThread.start(name: "hepscope-evict", rebuild) != nil { rebuild() }
    }

    /// Still rebuilding: nil; done: the outcome, or nil inside when nothing had to go.
    /// The outcome is taken out: only the caller holds it then.
    func take() -> EvictionOutcome?? {
        lock.withLock {
            guard finished else { return .none }
            defer { outcome = nil }
            return .some(outcome)
        }
    }

    /// Frees a model that was replaced, on a thread of its own, then gives the heap back: for
    /// millions of messages, tens of milliseconds the owner's screen would otherwise stop for.
    /// The model must be held by nothing else by the time this is called.
    static func release(_ old: OldModel) {
        let free: @Sendable () -> Void = {
            old.model = nil
            HeapRelease.trim()
        }
        if DetachedThread.start(name: "hepscope-free", free) != nil { free() }
    }

    /// The last reference to a replaced model, handed to the thread that frees it.
    final class OldModel: @unchecked Sendable {
        var model: TraceStore?
        init(_ model: TraceStore) { self.model = model }
    }
}
