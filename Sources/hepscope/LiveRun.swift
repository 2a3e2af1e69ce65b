import CaptureIngest
import Foundation
import LiveIngest
import Synchronization
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM: the run ends and prints what it has.
let stopRequested = Atomic<Bool>(false)

/// Files and listeners feeding one session, for `print` runs that are not just files: the
/// listeners and loaders post to a queue and this thread folds it in until the run ends.
struct LiveRun {
    var session: TraceSession
    /// Every source's failure, when the run has ended.
    var failures: [String] = []
    /// Listeners that could not start (also among `failures` at the end).
    var listenFailures: [String] = []
    private let queue = IngestQueue()
    private let live: LiveIngest
    /// Why `--write` stopped recording, if it did.
    var recordingFailure: String? { live.recorder?.failure }
    private var listeners = 0
    private var signalSources: [DispatchSourceSignal] = []

    init(specs: [SourceSpec], options: IngestOptions) throws {
        // With listeners, an eviction must not stop this thread: they would drop meanwhile.
        session = options.session(evictingAside: specs.contains { if case .file = $0 { false } else { true } })
        session.evictionReady = { [queue] in queue.wake() }
        live = try LiveIngest(queue: queue, options: options.liveOptions)
        let key = options.hepKey.map { Array($0.utf8) }
        for spec in specs {
            switch spec {
            case .file(let path):
                let source = session.addSource(name: path == "-" ? "stdin" : path, kind: .file)
                if LiveRun.isStream(path) {
                    StreamLoader.start(path: path, source: source, queue: queue, hepKey: key)
                } else {
                    BackgroundLoader.start(path: path, source: source, queue: queue, hepKey: key)
                }
            default:
                let source = session.addSource(name: spec.displayName, kind: .listener)
                switch live.startOrSayWhy(spec, source: source) {
                case .listening(let bound):
                    session.renameSource(source, to: bound.displayName)
                    listeners += 1
                case .failed(let why):
                    listenFailures.append(why)
                }
            }
        }
    }

    /// Pipes, FIFOs and stdin are read as streams; regular files are mapped.
    static func isStream(_ path: String) -> Bool {
        if path == "-" { return true }
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }

    /// Messages and events taken into the session so far.
    private var taken = 0

    /// With `--count N`, when more arrived than were kept: says how many were left out.
    func countWarning(_ count: Int?) -> String? {
        let c = session.totalCounters
        let received = c.sipMessages + c.otherEvents
        guard let count, received > taken else { return nil }
        return "--count \(count): the first \(taken) messages kept; \(received - taken) more received were left out"
    }

    /// `events` with their batches cut so that no more than `count` messages are taken in all:
    /// `--count N` keeps exactly the first N, though batches arrive a few thousand at a time.
    private mutating func limited(_ events: [IngestEvent], to count: Int?) -> [IngestEvent] {
        guard let count else { return events }
        return events.compactMap { event in
            guard case .batch(let source, var batch) = event else { return event }
            let room = count - taken
            guard room > 0 else { return nil }
            batch.keepFirst(room)
            taken += batch.count
            return .batch(source: source, batch)
        }
    }

    /// Runs until `duration` seconds pass, `count` messages were taken in, Ctrl-C, or (with no
    /// listeners) every file is read.
    mutating func run(duration: Double?, count: Int?) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stopRequested.store(true, ordering: .relaxed) }
            s.resume()
            signalSources.append(s)
        }
        let start = Date()
        while true {
            // While an eviction is rebuilt aside, what it holds back is bounded: the rest waits
            // in the queue (readable all along, so not waited on meanwhile).
            let holding = session.holdsEnough
            if holding {
                usleep(5000)
            } else if !session.hasHeldWork || session.isEvictingAside {
                queue.wait(timeoutMilliseconds: 50)
            }
            // A few batches at a time: what waits stays counted in the queue (see `drain`).
            let lot = 64
            let events = holding ? [] : queue.drain(upTo: lot)
            session.apply(limited(events, to: count))
            // What was held back goes in as many batches a turn as are taken from the queue.
            session.advance(batches: lot)
            // Caught up: let batches gather rather than waking for each one.
            if !events.isEmpty, events.count < lot { usleep(UInt32(IngestQueue.gatherInterval * 1_000_000)) }
            if stopRequested.load(ordering: .relaxed) { break }
            if let duration, Date().timeIntervalSince(start) >= duration { break }
            if let count, taken >= count { break }
            if listeners == 0, !session.isLoading, session.sources.allSatisfy(\.finished) { break }
        }
        live.stop()
        session.apply(limited(queue.drain(), to: count))
        session.finishHeldWork()
        for s in session.sources { if let f = s.failure { failures.append(f) } }
    }
}
