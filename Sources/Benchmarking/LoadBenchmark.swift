import CaptureIngest
import TraceModel

/// Decode + index throughput measured in this process, and the model's own size.
public struct LoadFigures: Sendable {
    public var messages: Int
    public var calls: Int
    public var groups: Int
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var modelBytes: Int
    /// What the memory budget counts of the model (`TraceStore.memoryInUse`).
    public var budgetedBytes: Int
    public var fileBytes: Int
    /// Resident memory of the process, all and anonymous (heap, stacks), read right after the load with the
    /// model still alive: what holding the capture costs, without the load's passing peaks.
    public var residentBytes: Int
    public var anonymousBytes: Int

    public var messagesPerSecond: Double { Double(messages) / wallSeconds }
    public var modelBytesPerMessage: Double { Double(modelBytes) / Double(max(messages, 1)) }
}

public enum LoadBenchmark {
    /// Loads `path` `repeats` times and keeps the fastest run (the least disturbed by the machine).
    /// Resident memory is the first run's, read while the process held nothing else.
    public static func measure(path: String, repeats: Int) throws -> LoadFigures {
        var best: LoadFigures?
        var firstResident: (total: Int, anonymous: Int)?
        for _ in 0..<max(1, repeats) {
            let cpu0 = ProcessMeasurement.selfCPUSeconds
            let t0 = ProcessMeasurement.now
            var load = TraceLoad()
            load.load(path: path)
            if let failure = load.failures.first { throw BenchmarkError(failure) }
            let wall = ProcessMeasurement.now - t0
            let cpu = ProcessMeasurement.selfCPUSeconds - cpu0
            let resident = firstResident ?? ProcessMeasurement.selfResident
            firstResident = resident
            let f = LoadFigures(
                messages: load.store.messages.count, calls: load.store.calls.count,
                groups: load.store.orderedGroups.count, wallSeconds: wall, cpuSeconds: cpu,
                modelBytes: load.store.modelMemoryBytes, budgetedBytes: load.store.memoryInUse, fileBytes: load.reports.first?.frames ?? 0,
                residentBytes: resident.total, anonymousBytes: resident.anonymous)
            if best == nil || wall < best!.wallSeconds { best = f }
        }
        return best!
    }
}

/// The two stages of a load timed on their own: decoding (frames in, batches of messages out)
/// and the model's work on the batches, one after the other on one thread.
public struct StageFigures: Sendable {
    public var messages: Int
    public var decodeSeconds: Double
    public var modelSeconds: Double

    public func perCore(_ seconds: Double) -> Double { Double(messages) / seconds }
}

extension LoadBenchmark {
    /// Loads `path` `repeats` times on this thread, each stage timed, and keeps the run that
    /// took least CPU in all.
    public static func measureStages(path: String, repeats: Int) throws -> StageFigures {
        var best: StageFigures?
        for _ in 0..<max(1, repeats) {
            var load = TraceLoad()
            let stages = StageTimes()
            load.stages = stages
            load.load(path: path)
            if let failure = load.failures.first { throw BenchmarkError(failure) }
            let f = StageFigures(messages: load.store.messages.count, decodeSeconds: stages.decodeSeconds,
                                 modelSeconds: stages.modelSeconds)
            if best == nil || f.decodeSeconds + f.modelSeconds < best!.decodeSeconds + best!.modelSeconds { best = f }
        }
        return best!
    }
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
