import CaptureIngest
import Foundation
import TraceModel
import TraceViewer

/// How fast the interactive viewer answers on a capture: the same model, queue, background
/// loader and loop order as the terminal front (keys first, then data in short slices, then a
/// frame), with frames rendered into memory instead of a terminal. A key that arrives while a
/// slice is being folded in waits for it, so a key's time during the load counts the slice
/// before it too.
public enum ViewerBenchmark {
    public struct Step: Sendable {
        public var name: String
        public var milliseconds: [Double]
        public var worst: Double { milliseconds.max() ?? 0 }
        public var median: Double {
            let s = milliseconds.sorted()
            return s.isEmpty ? 0 : s[s.count / 2]
        }
    }

    public struct Report: Sendable {
        public var messages = 0
        public var calls = 0
        public var loadSeconds = 0.0
        /// The first frame, and the first one with calls in it.
        public var firstFrameMilliseconds = 0.0
        public var firstDataMilliseconds = 0.0
        /// Resident memory right after the load, all and anonymous: the mapped file's pages
        /// count in the first while they stay mapped.
        public var residentBytes = 0
        public var anonymousBytes = 0
        public var steps: [Step] = []
        /// Rebuilds the memory budget made during the load, and the messages they dropped.
        public var evictions = 0
        public var evictedMessages = 0
    }

    static let ingestBudget = LoopTiming.ingestBudget

    /// `memoryLimit`: the model's budget, its evictions rebuilt aside as in the viewer, or on
    /// the loop's thread with `evictionsInPlace` (as `print` does), for comparison.
    public static func run(path: String, width: Int = 120, height: Int = 40, memoryLimit: Int? = nil,
                           evictionsInPlace: Bool = false) -> Report {
        var report = Report()
        let queue = IngestQueue()
        let model = ViewerModel(session: TraceSession(configuration: .init(
            memoryLimit: memoryLimit, evictionsByOwner: !evictionsInPlace)))
        let source = model.addSource(name: path, kind: .file)
        var state = ViewerState(width: width, height: height)
        let start = now()
        // Started as the viewer starts its loaders (a thread that cannot be made is a failed source).
        BackgroundLoader.start(path: path, source: source, queue: queue)
        Update.update(&state, .dataChanged, model: model)
        _ = Renderer.render(state, model: model)
        report.firstFrameMilliseconds = (now() - start) * 1000

        // During the load: one key per turn of the loop, after the slice of data before it.
        var duringLoad = Step(name: "keys while loading (each after the data slice before it)", milliseconds: [])
        let loadKeys: [Key] = [.down, .pageDown, .up, .down]
        var backlog: [IngestEvent] = []
        var turn = 0
        var opened = false
        while !model.session.sources[source].finished || !backlog.isEmpty || model.hasHeldWork {
            // As the loop's poll: the queue is not waited on while the model holds enough back
            // for an eviction being rebuilt, nor while nothing can go in before it is done.
            if model.holdsEnough || (backlog.isEmpty && model.isEvictingAside) {
                usleep(2000)
            } else if backlog.isEmpty, !model.hasHeldWork {
                queue.wait(timeoutMilliseconds: 50)
            }
            if backlog.count < 8, !model.holdsEnough { backlog += queue.drain(upTo: 64) }
            let sliceStart = now()
            while now() - sliceStart < ingestBudget, model.advance() {}
            var taken = 0
            while taken < backlog.count, now() - sliceStart < ingestBudget {
                model.ingest([backlog[taken]])
                taken += 1
            }
            backlog.removeFirst(taken)
            Update.update(&state, .dataChanged, model: model)
            _ = Renderer.render(state, model: model)
            if report.firstDataMilliseconds == 0, !model.store.calls.isEmpty {
                report.firstDataMilliseconds = (now() - start) * 1000
            }
            guard !model.store.calls.isEmpty else { continue }
            // Into the list of all calls once there are some, then moving through it.
            let key: Key = opened ? loadKeys[turn % loadKeys.count] : .character("a")
            opened = true
            turn += 1
            Update.update(&state, .key(key), model: model)
            _ = Renderer.render(state, model: model)
            duringLoad.milliseconds.append((now() - sliceStart) * 1000)
        }
        report.loadSeconds = now() - start
        report.messages = model.store.messages.count
        report.calls = model.store.calls.count
        report.evictions = model.store.counters.evictions
        report.evictedMessages = model.store.counters.evictedMessages
        (report.residentBytes, report.anonymousBytes) = ProcessMeasurement.selfResident
        report.steps.append(duringLoad)

        // After the load: from the sessions list through every sort, a search, a filter, a ladder.
        state = ViewerState(width: width, height: height)
        Update.update(&state, .dataChanged, model: model)
        func timed(_ name: String, _ keys: [Key]) {
            var step = Step(name: name, milliseconds: [])
            for k in keys {
                let t = now()
                Update.update(&state, .key(k), model: model)
                _ = Renderer.render(state, model: model)
                step.milliseconds.append((now() - t) * 1000)
            }
            report.steps.append(step)
        }
        timed("sessions: move", [.down, .up])
        timed("all calls: open (sorted by start)", [.character("a")])
        timed("all calls: move", Array(repeating: .down, count: 30) + [.pageDown, .pageDown, .end, .home])
        for sort in CallSort.allCases.dropFirst() { timed("all calls: sort by \(sort.name)", [.character("s")]) }
        timed("all calls: reverse the order", [.character("S")])
        timed("all calls: search", "/xyz".map { Key.character($0) } + [.enter])
        // Through every call: the worst a search can take.
        timed("all calls: search, no match", "/nosuchcall".map { Key.character($0) } + [.enter])
        timed("all calls: search, no match across fields", "/no such call".map { Key.character($0) } + [.enter])
        timed("all calls: filter to:1", "fto:1".map { Key.character($0) } + [.enter])
        timed("filtered calls: move", [.down, .down, .up])
        timed("ladder of a call: open", [.enter])
        timed("ladder: move", [.down, .down, .up])
        timed("message: open", [.enter])
        timed("save dialog: open, through its choices", [.function(2), .right, .right, .right, .escape])
        return report
    }

    static func now() -> Double { ProcessMeasurement.now }
}
