#if canImport(Glibc)
import Glibc
#endif
import CaptureIngest
import CNCursesW
import TraceViewer

/// The event loop of the interactive viewer, on the main thread: poll() waits on the terminal
/// and on the ingest queue's wake-up pipe with a finite timeout; keys and batches become
/// events for `Update`; a frame is drawn at most ~30 times a second, only when something changed.
public final class ViewerLoop {
    public let model: ViewerModel
    public let queue: IngestQueue
    public var state: ViewerState
    private let terminal: Terminal

    static let frameInterval = LoopTiming.frameInterval
    /// Longest the loop spends folding data in before it looks at the keyboard again.
    static let ingestBudget = LoopTiming.ingestBudget

    public init(model: ViewerModel, queue: IngestQueue, options: ViewerOptions, forceASCII: Bool, monochrome: Bool) {
        self.model = model
        self.queue = queue
        terminal = Terminal(monochrome: monochrome)
        var opts = options
        if forceASCII || !terminal.utf8 { opts.glyphs = .ascii }
        opts.monochrome = terminal.colourMode == .monochrome
        let size = terminal.size
        state = ViewerState(width: size.width, height: size.height, options: opts)
    }

    /// Runs until the user quits. Returns the final state (tests of the wiring look at it).
    @discardableResult
    public func run() -> ViewerState {
        defer { terminal.shutdown() }
        ViewerLoop.installSignalHandlers()
        ViewerLoop.yieldToListeners(model)
        model.wakeWhenEvictionReady { [queue] in queue.wake() }
        var backlog: [IngestEvent] = []
        backlog += queue.drain()
        Update.update(&state, .dataChanged, model: model)
        var dirty = true
        var lastFrame = 0.0
        var lastTick = ViewerLoop.now()
        // After a small lot of data, data waits `IngestQueue.gatherInterval` before the loop
        // looks again; keys are read at once all along.
        var dataQuietUntil = 0.0
        while !state.shouldQuit {
            let now = ViewerLoop.now()
            if dirty, now - lastFrame >= ViewerLoop.frameInterval {
                terminal.draw(Renderer.render(state, model: model))
                lastFrame = now
                dirty = false
            }
            // Wait for keys or data, but never past the next frame that is due or the next tick.
            var timeout: Int32 = model.isLive ? 500 : 1000
            if dirty { timeout = Int32(max(1, (lastFrame + ViewerLoop.frameInterval - now) * 1000)) }
            if !backlog.isEmpty || (model.hasHeldWork && !model.isEvictingAside) { timeout = 0 }
            let dataQuiet = now < dataQuietUntil
            if dataQuiet { timeout = min(timeout, Int32(max(1, (dataQuietUntil - now) * 1000))) }
            // Holding all it should while an eviction is rebuilt aside: the queue stays readable
            // meanwhile, so it is left out, and the rebuild looked at again every 10 ms.
            let holding = model.holdsEnough
            if holding { timeout = min(timeout, 10) }
            // A negative descriptor is left out by poll().
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: dataQuiet || holding ? -1 : queue.wakeFileDescriptor, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, timeout)
            // The terminal went away (SSH dropped, tmux killed) or we were asked to stop.
            if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 || ViewerLoop.stopRequested != 0 { break }
            // Keys first: the UI answers the user before it takes in more data.
            for input in terminal.readKeys() {
                switch input {
                case .key(let k):
                    Update.update(&state, .key(k), model: model)
                    if let request = state.pendingSave {
                        state.pendingSave = nil
                        let outcome = SaveRunner.perform(request, model: model, filter: state.filter)
                        Update.finishSave(&state, outcome)
                        // Everything received so far is in a file now: quitting need not ask for it.
                        if case .saved = outcome, request.scope == .all { state.liveSavedUpTo = model.receivedLive }
                    }
                case .resize:
                    let size = terminal.size
                    terminal.invalidate()
                    Update.update(&state, .resize(width: size.width, height: size.height), model: model)
                }
                dirty = true
                if state.shouldQuit { break }
            }
            if state.shouldQuit { break }
            // Drained on every turn, not only when the pipe says so: a missed wake-up then costs
            // at most one poll timeout, never a stalled load.
            // Taken only when the last lot is nearly folded in: what waits stays in the queue, where
            // listeners see it and drop rather than let it grow.
            if backlog.count < 8, !model.holdsEnough, ViewerLoop.now() >= dataQuietUntil,
               (ready > 0 && fds[1].revents != 0) || queue.pendingCount > 0 {
                let lot = queue.drain(upTo: 64)
                if !lot.isEmpty, lot.count < 64 { dataQuietUntil = ViewerLoop.now() + IngestQueue.gatherInterval }
                backlog += lot
            }
            if !backlog.isEmpty || model.hasHeldWork {
                // Fold data in a slice at a time, so a big file loading never holds up the keyboard.
                let start = ViewerLoop.now()
                var changed = false
                // An eviction rebuilt aside, once ready, and the batches held back meanwhile come
                // first (new data joins them, in order, while any are left).
                while ViewerLoop.now() - start < ViewerLoop.ingestBudget, model.advance() { changed = true }
                var taken = 0
                while taken < backlog.count, ViewerLoop.now() - start < ViewerLoop.ingestBudget {
                    model.ingest([backlog[taken]])
                    taken += 1
                }
                backlog.removeFirst(taken)
                if changed || taken > 0 {
                    Update.update(&state, .dataChanged, model: model)
                    dirty = true
                }
            }
            if ViewerLoop.now() - lastTick >= 1 {
                lastTick = ViewerLoop.now()
                if model.isLive {
                    model.sampleRates()
                    Update.update(&state, .tick, model: model)
                    dirty = true
                }
            }
        }
        return state
    }

    /// With network listeners, this thread (the screen) runs at a lower priority than theirs:
    /// on a busy machine a late frame costs nothing, a listener that falls behind loses packets
    /// once the kernel's receive buffer is full. Threads started earlier keep their priority.
    static func yieldToListeners(_ model: ViewerModel) {
        guard model.session.sources.contains(where: { $0.kind == .listener }) else { return }
        let thread = id_t(currentThreadID())
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
        guard errno == 0 else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, min(current + 4, 19))
    }

    /// Set by SIGTERM and SIGHUP; the loop leaves and the terminal is restored.
    nonisolated(unsafe) static var stopRequested: sig_atomic_t = 0

    /// Leaves the loop cleanly on SIGTERM and SIGHUP instead of dying in curses mode.
    public static func installSignalHandlers() {
        let handler: @convention(c) (Int32) -> Void = { _ in ViewerLoop.stopRequested = 1 }
        for sig in [SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

// glibc's gettid(), which the Glibc module does not export.
@_silgen_name("gettid")
private func currentThreadID() -> Int32
