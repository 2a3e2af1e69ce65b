#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TraceExport
import TraceModel
import TraceOutput

/// `hepscope save`: write what matters to a file people can attach to a ticket.
struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save messages as pcap/pcapng (keeping HEP and its correlation ids), text, JSON or a ladder diagram.",
        discussion: """
            The format comes from --format or the file's extension: .pcap, .pcapng, .txt (messages \
            as safe text), .json (as print --json), .ladder.txt, .mmd (Mermaid), .svg, .html. The file \
            appears whole or not at all. Exit status: 0 saved; 1 nothing to save or cannot write; \
            2 a source could not be read; 64 command-line mistakes.
            """
    )

    @Option(name: [.short, .customLong("output")], help: "The file to write; - for standard output (with --format).")
    var output: String

    @Option(help: "pcap, pcapng, txt, json, ladder, mermaid, svg or html (default: from the extension).")
    var format: String?

    @Option(name: .customLong("group"), help: "Only this correlation id (repeatable; 'uncorrelated' for the bucket).")
    var groups: [String] = []

    @Option(name: .customLong("call"), help: "Only this Call-ID (repeatable).")
    var calls: [String] = []

    @Option(help: "Only calls (and events) matching EXPR, as for print --filter.")
    var filter: String?

    @Flag(help: "Write plain SIP over synthetic UDP/TCP/SCTP frames instead of the original frames or HEP.")
    var decapsulate = false

    @Flag(help: "Ladder exports: ASCII instead of UTF-8 box drawing.")
    var ascii = false

    @OptionGroup var ingest: IngestOptions

    @OptionGroup var limits: RunLimits

    @Argument(help: "Capture files, - for standard input, or listen URLs (as for print).")
    var sources: [String] = []

    var resolvedFormat: ExportFormat? {
        if let format { return ExportFormat(rawValue: format.lowercased()) }
        return ExportFormat.fromExtension(output)
    }

    func validate() throws {
        if let format, ExportFormat(rawValue: format.lowercased()) == nil {
            throw ValidationError("--format: one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if resolvedFormat == nil {
            throw ValidationError(output == "-" ? "-o - writes to standard output: give --format"
                                  : "cannot tell the format from '\(output)': give --format or a known extension")
        }
        // Flags that would do nothing are refused, as print refuses --ascii without --ladder.
        if ascii, resolvedFormat != .ladder { throw ValidationError("--ascii goes with the ladder format (.ladder.txt)") }
        if decapsulate, resolvedFormat != .pcap, resolvedFormat != .pcapng {
            throw ValidationError("--decapsulate goes with the pcap and pcapng formats")
        }
        try ingest.checkListenerOptions(against: IngestOptions.specs(sources))
        if let f = filter {
            do { _ = try TraceFilter.parse(f) } catch { throw ValidationError("--filter: \(error)") }
        }
    }

    func run() throws {
        let (store, input, failures, unsaid) = try LoadedSources.load(sources, options: ingest, duration: limits.duration, count: limits.count)
        for f in unsaid { Output.write("hepscope: \(SafeText.line(f))\n", to: 2) }
        // A damaged input saves what it held; the user hears that it was damaged.
        for w in input.warnings { Output.write("hepscope: warning: \(SafeText.line(w))\n", to: 2) }
        var selection = ExportSelection.all(store)
        var said: [String] = []
        if !groups.isEmpty {
            selection = selection.intersecting(.groups(store, ids: groups))
            said.append("correlation id " + groups.joined(separator: ", "))
        }
        if !calls.isEmpty {
            selection = selection.intersecting(.calls(store, callIDs: calls))
            said.append("Call-ID " + calls.joined(separator: ", "))
        }
        if let f = filter, let expression = try? TraceFilter.parse(f) {
            selection = selection.keeping(expression, in: store)
            said.append("filter \(f)")
        }
        selection.description = said.isEmpty ? "all messages" : said.joined(separator: "; ")
        var leftOut = ""
        if decapsulate {
            let events = selection.messages.filter { !store.messages[Int($0)].isSIP }.count
            if events > 0 {
                selection.messages.removeAll { !store.messages[Int($0)].isSIP }
                if selection.messages.isEmpty {
                    let what = events == 1 ? "the one selected is a HEP event" : "the \(events) selected are HEP events"
                    Output.write("hepscope: nothing to save: \(what), which --decapsulate leaves out\n", to: 2)
                    throw ExitCode(failures.isEmpty ? 1 : 2)
                }
                leftOut = " (\(events) HEP event\(events == 1 ? "" : "s") left out: plain SIP has no place for them)"
            }
        }
        do throws(ExportError) {
            let bytes = try resolvedFormat!.render(store, selection, decapsulate: decapsulate, ascii: ascii,
                                                   filterText: filter, input: input)
            if output == "-", isatty(1) == 1, resolvedFormat == .pcap || resolvedFormat == .pcapng {
                throw ExportError("standard output is a terminal: send a capture to a pipe or a file")
            }
            if output == "-" {
                // A pipe into tshark or Wireshark (`-o - --format pcap | wireshark -k -i -`).
                guard Output.write(bytes, to: 1) else { throw ExportError("cannot write to standard output: \(String(cString: strerror(errno)))") }
                Output.write("saved \(selection.messages.count) messages to standard output\(leftOut)\n", to: 2)
            } else {
                try AtomicFile.write(bytes, to: output)
                Output.write("saved \(selection.messages.count) messages to \(SafeText.line(output))\(leftOut)\n", to: 2)
            }
        } catch {
            Output.write("hepscope: \(SafeText.line(error.description))\n", to: 2)
            throw ExitCode(failures.isEmpty ? 1 : 2)
        }
        if !failures.isEmpty { throw ExitCode(2) }
    }
}
