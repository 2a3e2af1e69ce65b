#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CaptureIngest
import LiveIngest
import TraceModel
import TraceOutput

/// Reads the SOURCE arguments the way every command does: files start to end, or, with
/// listeners (or --duration/--count), a live run until it ends.
enum LoadedSources {
    /// The model, what went into it, every source's failure, and those of them not said yet
    /// (a listener that could not start is said at once, before the run).
    static func load(_ sources: [String], options: IngestOptions, duration: Double?, count: Int?) throws
        -> (TraceStore, InputSummary, failures: [String], unsaid: [String]) {
        let specs = try IngestOptions.specs(sources)
        if specs.allSatisfy({ !$0.isListener }), duration == nil, count == nil {
            var load = TraceLoad(configuration: options.configuration)
            load.decoder.requiredAuthKey = options.hepKey.map { Array($0.utf8) }
            load.load(paths: sources)
            var input = InputSummary(
                counters: load.decoder.counters,
                sources: load.reports.map { .init(name: $0.source, format: $0.format, frames: $0.frames, comments: $0.comments) },
                warnings: load.warnings)
            input.failures = load.failures
            return (load.store, input, load.failures, load.failures)
        }
        var live = try LiveRun(specs: specs, options: options)
        if live.listenFailures.count == specs.count {
            for f in live.listenFailures { Output.write("hepscope: \(SafeText.line(f))\n", to: 2) }
            throw ExitCode(2)
        }
        // Said now, not only when the run ends: the other sources go on meanwhile.
        for f in live.listenFailures { Output.write("hepscope: \(SafeText.line(f)) (going on with the other sources)\n", to: 2) }
        live.run(duration: duration, count: count)
        var input = InputSummary(
            counters: live.session.totalCounters,
            sources: live.session.sources.map { s in
                .init(name: s.name, format: s.report?.format ?? (s.kind == .listener ? "listener" : ""),
                      frames: s.report?.frames ?? s.counters.packets, comments: s.report?.comments ?? [],
                      counters: s.counters)
            },
            warnings: live.session.sources.flatMap { $0.report?.warnings ?? [] }
                + [live.recordingFailure, live.countWarning(count)].compactMap { $0 },
            relay: live.session.relay)
        input.failures = live.failures
        return (live.session.store, input, live.failures, live.failures.filter { !live.listenFailures.contains($0) })
    }
}

extension LoadedSources {
    /// The calls the filter matches, whole, and the events it matches; worked out again as a
    /// model of their own, so statistics describe what is shown.
    static func filtered(_ store: TraceStore, by filter: TraceFilter) -> TraceStore {
        store.shown(keeping: filter.shows(in: store))
    }
}

enum Output {
    /// Writes all of `bytes` to a file descriptor, retrying short writes; false when it cannot.
    @discardableResult
    static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }

    /// Writes all of `text` to a file descriptor (1 or 2), retrying short writes.
    static func write(_ text: String, to fd: Int32) {
        var t = text
        t.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}
