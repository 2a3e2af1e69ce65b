import ArgumentParser
import CaptureIngest
import Foundation
import LiveIngest
import TerminalBackend
import TraceModel
import TraceViewer

#if canImport(Glibc)
import Glibc
#endif

/// `hepscope [view] SOURCE...`: the interactive viewer. Files load on their own threads and
/// fill the screens in while the user already navigates.
struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Open the interactive viewer (the default command).",
        discussion: """
            Screens: test sessions (correlation groups) -> calls -> ladder -> message. Press ? \
            in the viewer for every key. NO_COLOR in the environment turns colours off.
            """
    )

    @Flag(help: "Replay a recorded Kamailio test session (two correlation ids) at its recorded pace.")
    var demo = false

    @Flag(help: "Draw with ASCII characters instead of UTF-8 box drawing (automatic when the locale is not UTF-8).")
    var ascii = false

    @Flag(name: .customLong("mono"), help: "No colours: requests, responses and failures told apart by bold, underline and reverse.")
    var monochrome = false

    @Option(help: "Start with this filter (method:INVITE status:486 state:busy corr:ID /regex/ ...).")
    var filter: String?

    @Flag(help: "Start with one ladder column per host (ports merged).")
    var mergePorts = false

    @OptionGroup var ingest: IngestOptions

    @Argument(help: """
        Capture files (pcap, pcapng, optionally gzip-compressed), FIFOs, or listeners: \
        udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT?cert=FILE&key=FILE. None (and no \
        --demo): listen on udp://127.0.0.1:9060 and tcp://127.0.0.1:9060.
        """)
    var sources: [String] = []

    func validate() throws {
        if sources.contains("-") { throw ValidationError("the viewer reads keys from standard input: give a FIFO, or use 'hepscope print -' for a pipe") }
        try ingest.checkListenerOptions(against: IngestOptions.specs(sources))
        if let f = filter {
            do { _ = try TraceFilter.parse(f) } catch { throw ValidationError("--filter: \(error)") }
        }
    }

    func run() throws {
        // A terminal that cannot move its cursor would show a frozen status line and nothing else.
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" || term == "unknown" {
            throw ValidationError("the viewer needs a terminal that can move its cursor, and TERM is "
                                  + (term.isEmpty ? "not set" : "'\(term)'") + ": "
                                  + "set TERM (e.g. TERM=xterm-256color), or use 'hepscope print'")
        }
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw ValidationError("the viewer needs a terminal; 'hepscope print' writes text to a pipe or file")
        }
        let model = ViewerModel(session: ingest.session(evictingAside: true))
        let queue = IngestQueue()
        let hepKey = ingest.hepKey.map { Array($0.utf8) }
        var specs = try IngestOptions.specs(sources)
        if demo && sources.isEmpty { specs = [] }

        // Threads inherit the signal mask: SIGWINCH must reach the main thread, where ncurses
        // turns it into KEY_RESIZE.
        var winch = sigset_t()
        sigemptyset(&winch)
        sigaddset(&winch, SIGWINCH)
        pthread_sigmask(SIG_BLOCK, &winch, nil)
        if demo {
            guard let path = Bundle.module.path(forResource: "hep-kamailio-udp", ofType: "pcap") else {
                throw ValidationError("the demo capture is missing from this build")
            }
            let source = model.addSource(name: "demo: hep-kamailio-udp.pcap", kind: .listener)
            PacedReplay.start(path: path, source: source, queue: queue)
        }
        var live: LiveIngest?
        var failures: [String] = []
        for spec in specs {
            switch spec {
            case .file(let path):
                let source = model.addSource(name: path, kind: .file)
                if LiveRun.isStream(path) {
                    StreamLoader.start(path: path, source: source, queue: queue, hepKey: hepKey)
                } else {
                    BackgroundLoader.start(path: path, source: source, queue: queue, hepKey: hepKey)
                }
            default:
                // Listeners post their batches and counters to the same queue from their own
                // event loops, started here while SIGWINCH is still blocked.
                if live == nil { live = try LiveIngest(queue: queue, options: ingest.liveOptions) }
                let source = model.addSource(name: spec.displayName, kind: .listener)
                // Shown on the source's place in the status line, and said again on exit.
                switch live!.startOrSayWhy(spec, source: source) {
                case .listening(let bound): model.renameSource(source, to: bound.displayName)
                case .failed(let why): failures.append(why)
                }
            }
        }
        if !failures.isEmpty, failures.count == specs.count, !demo {
            for f in failures { FileHandle.standardError.write(Data("hepscope: \(f)\n".utf8)) }
            Glibc.exit(2)
        }
        // The viewer relies on these reaching the main thread: resize, and a clean exit when the
        // terminal goes away or the process is told to stop. A parent may have blocked them.
        var needed = winch
        for sig in [SIGTERM, SIGHUP, SIGINT] { sigaddset(&needed, sig) }
        pthread_sigmask(SIG_UNBLOCK, &needed, nil)

        var options = ViewerOptions(ascii: ascii)
        options.mergePorts = mergePorts
        // What listeners receive is gone at the end unless --write records it; what a FIFO
        // delivers always is (--write does not record it).
        let fromFIFO = specs.contains { if case .file(let path) = $0 { LiveRun.isStream(path) } else { false } }
        options.askBeforeQuitting = !demo && (ingest.writePath == nil && specs.contains { $0.isListener } || fromFIFO)
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let loop = ViewerLoop(model: model, queue: queue, options: options, forceASCII: ascii,
                              monochrome: monochrome || noColor)
        if let f = filter { loop.state.filter = try? TraceFilter.parse(f) }
        if let first = failures.first {
            loop.state.notice = failures.count == 1 ? first : "\(first) (and \(failures.count - 1) more listeners)"
        }
        loop.run()
        live?.stop()
        // A listener's failure not yet taken in from the queue (the viewer quit at once).
        for f in failures where !model.session.sources.contains(where: { $0.failure == f }) {
            FileHandle.standardError.write(Data("hepscope: \(f)\n".utf8))
        }
        for s in model.session.sources {
            if let failure = s.failure { FileHandle.standardError.write(Data("hepscope: \(failure)\n".utf8)) }
        }
        // Loader threads may still be reading a big file: leave without waiting for them.
        Glibc.exit(model.session.sources.contains { $0.failure != nil } || !failures.isEmpty ? 2 : 0)
    }
}
