import ArgumentParser
import CaptureIngest
import TraceModel
import TraceOutput

#if canImport(Glibc)
import Glibc
#endif

/// `hepscope print`: decode the sources and print what was found, without a terminal UI.
struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Decode captures and print their messages, a summary, or JSON.",
        discussion: """
            Exit status: 0 when every source was read (warnings about damaged captures are \
            printed but do not fail the run); 2 when a source could not be read or is not a \
            capture (the others are still printed).
            """
    )

    @Flag(help: "Print one JSON document (the format is documented in the README).")
    var json = false

    @Flag(help: "Print per correlation id the number of calls and messages, and the input counters.")
    var summary = false

    @Flag(help: "Print every call as a ladder diagram.")
    var ladder = false

    @Flag(help: "With --ladder: draw with ASCII characters instead of UTF-8 box drawing.")
    var ascii = false

    @Option(help: "Memory budget for the trace model (e.g. 512M, 2G); past it whole correlation groups are dropped, least recently active first. Default: half of physical memory.")
    var memoryLimit: String?

    @Option(name: .customLong("link-header"), help: "Another header whose equal values link call legs (repeatable).")
    var linkHeaders: [String] = []

    @Argument(help: "Capture files (pcap, pcapng, optionally gzip-compressed), or - for standard input.")
    var sources: [String]

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one capture file, or - for standard input") }
        if let m = memoryLimit, MemorySize.parse(m) == nil {
            throw ValidationError("--memory-limit: expected a size such as 512M or 2G, got '\(m)'")
        }
        if [json, summary, ladder].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --json, --summary and --ladder")
        }
    }

    func run() throws {
        let limit = memoryLimit.flatMap(MemorySize.parse) ?? MemorySize.defaultLimit
        var load = TraceLoad(configuration: .init(linkHeaders: linkHeaders, memoryLimit: limit))
        load.load(paths: sources)
        for failure in load.failures {
            writeAll("hepscope: \(SafeText.line(failure))\n", to: 2)
        }
        let input = InputSummary(
            counters: load.decoder.counters,
            sources: load.reports.map { .init(name: $0.source, format: $0.format, frames: $0.frames, comments: $0.comments) },
            warnings: load.warnings)
        let text: String
        if json {
            text = JSONReport.render(load.store, input: input)
        } else if ladder {
            text = TextReport.ladders(load.store, input: input, ascii: ascii)
        } else if summary {
            text = TextReport.summary(load.store, input: input)
        } else {
            text = TextReport.messages(load.store, input: input)
        }
        writeAll(text, to: 1)
        if !load.failures.isEmpty { throw ExitCode(2) }
    }

    private func writeAll(_ text: String, to fd: Int32) {
        var t = text
        t.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}
