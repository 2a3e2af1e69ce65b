import TraceModel
import WireDecoding

/// Loads several inputs into one trace model, collecting per-input reports and failures, so the
/// command line and the tests share one path.
public struct TraceLoad {
    public var store: TraceStore
    public let decoder = TraceDecoder()
    public private(set) var reports: [LoadReport] = []
    /// One line per input that could not be read at all.
    public private(set) var failures: [String] = []
    /// When set, inputs load on this thread alone, the time of each stage added here (a benchmark).
    public var stages: StageTimes?

    public init(configuration: TraceStore.Configuration = .init()) {
        store = TraceStore(configuration: configuration)
    }

    public mutating func load(path: String) {
        do {
            // A gzip file inflates on another thread while the loader decodes what is there.
            let input = try InputBytes.open(path, whileInflating: true)
            let before = decoder.counters
            let evictionsBefore = store.counters.evictions
            defer { if store.counters.evictions != evictionsBefore { HeapRelease.trim() } }
            var report = try CaptureLoader.load(input, into: &store, decoder: decoder, stages: stages)
            let after = decoder.counters
            if after.sipMessages == before.sipMessages, after.otherEvents == before.otherEvents {
                // One line that says why, not a second one beside a warning that already does.
                let malformed = after.malformed - before.malformed
                let dropped = after.dropped - before.dropped
                if report.frames == 0 {
                    if report.warnings.isEmpty { report.warnings.append("\(input.name): no frames in the capture") }
                } else if dropped > 0 {
                    // Messages there were, but each was left out on purpose (--hep-key, say).
                    let reasons = after.droppedReasons.filter { $0.value > (before.droppedReasons[$0.key] ?? 0) }.keys.sorted()
                    report.warnings.append("\(input.name): no messages kept of \(report.frames) frames: "
                        + "\(dropped) dropped (\(reasons.joined(separator: ", ")))")
                } else if malformed > 0 {
                    report.warnings.append("\(input.name): no SIP or HEP messages found in \(report.frames) frames "
                        + "(\(malformed) could not be decoded: see the malformed counts)")
                } else {
                    report.warnings.append(
                        "\(input.name): no SIP or HEP messages found in \(report.frames) frames (other traffic only)")
                }
            }
            reports.append(report)
            store.enforceMemoryLimit()
        } catch {
            failures.append("\(error)")
        }
    }

    public mutating func load(paths: [String]) {
        for p in paths { load(path: p) }
    }

    public var warnings: [String] { reports.flatMap(\.warnings) }
}
