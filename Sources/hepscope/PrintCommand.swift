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
            With listeners the run lasts until --duration, --count or Ctrl-C, then prints the \
            same output as for files. Exit status: 0 when every source was read (warnings about \
            damaged captures are printed but do not fail the run); 2 when a source could not be \
            read, is not a capture, or could not listen (the others are still printed); 64 for \
            command-line mistakes.
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

    @OptionGroup var ingest: IngestOptions

    @Option(help: "Only calls (and events) matching EXPR: method:INVITE status:486 state:busy corr:ID from:alice /regex/ ... with and, or, not.")
    var filter: String?

    @OptionGroup var limits: RunLimits

    @Argument(help: """
        Capture files (pcap, pcapng, optionally gzip-compressed), - for standard input, or \
        listeners: udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT?cert=FILE&key=FILE. \
        None: listen on udp://127.0.0.1:9060 and tcp://127.0.0.1:9060.
        """)
    var sources: [String] = []

    func validate() throws {
        try ingest.checkListenerOptions(against: IngestOptions.specs(sources))
        if let f = filter {
            do { _ = try TraceFilter.parse(f) } catch { throw ValidationError("--filter: \(error)") }
        }
        if [json, summary, ladder].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --json, --summary and --ladder")
        }
        if ascii, !ladder { throw ValidationError("--ascii goes with --ladder") }
    }

    func run() throws {
        var (store, input, failures, unsaid) = try LoadedSources.load(sources, options: ingest, duration: limits.duration, count: limits.count)
        if let f = filter, let expression = try? TraceFilter.parse(f) { store = LoadedSources.filtered(store, by: expression) }
        for failure in unsaid {
            writeAll("hepscope: \(SafeText.line(failure))\n", to: 2)
        }
        let text: String
        if json {
            text = JSONReport.render(store, input: input)
        } else if ladder {
            text = TextReport.ladders(store, input: input, ascii: ascii)
        } else if summary {
            text = TextReport.summary(store, input: input)
        } else {
            text = TextReport.messages(store, input: input)
        }
        writeAll(text, to: 1)
        if !failures.isEmpty { throw ExitCode(2) }
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
