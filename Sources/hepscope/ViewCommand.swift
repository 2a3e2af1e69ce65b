import ArgumentParser
import CaptureIngest
import Foundation
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

    @Option(help: "Memory budget for the trace model (e.g. 512M, 2G). Default: half of physical memory.")
    var memoryLimit: String?

    @Option(name: .customLong("link-header"), help: "Another header whose equal values link call legs (repeatable).")
    var linkHeaders: [String] = []

    @Argument(help: "Capture files (pcap, pcapng, optionally gzip-compressed).")
    var sources: [String] = []

    func validate() throws {
        if sources.isEmpty && !demo { throw ValidationError("give at least one capture file, or --demo") }
        if sources.contains("-") { throw ValidationError("the viewer reads keys from standard input: use 'hepscope print -' for a pipe") }
        if let m = memoryLimit, MemorySize.parse(m) == nil {
            throw ValidationError("--memory-limit: expected a size such as 512M or 2G, got '\(m)'")
        }
        if let f = filter {
            do { _ = try TraceFilter.parse(f) } catch { throw ValidationError("--filter: \(error)") }
        }
    }

    func run() throws {
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw ValidationError("the viewer needs a terminal; 'hepscope print' writes text to a pipe or file")
        }
        let limit = memoryLimit.flatMap(MemorySize.parse) ?? MemorySize.defaultLimit
        let model = ViewerModel(session: TraceSession(configuration: .init(linkHeaders: linkHeaders, memoryLimit: limit)))
        let queue = IngestQueue()

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
        for path in sources {
            let source = model.addSource(name: path, kind: .file)
            BackgroundLoader.start(path: path, source: source, queue: queue)
        }
        // Network listeners join here the same way: `model.addSource(name:kind: .listener)`, then
        // the listener posts its batches and counters to `queue` from its own threads (started
        // while SIGWINCH is blocked, as above). The viewer needs nothing else.
        // The viewer relies on these reaching the main thread: resize, and a clean exit when the
        // terminal goes away or the process is told to stop. A parent may have blocked them.
        var needed = winch
        for sig in [SIGTERM, SIGHUP, SIGINT] { sigaddset(&needed, sig) }
        pthread_sigmask(SIG_UNBLOCK, &needed, nil)

        var options = ViewerOptions(ascii: ascii)
        options.mergePorts = mergePorts
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let loop = ViewerLoop(model: model, queue: queue, options: options, forceASCII: ascii,
                              monochrome: monochrome || noColor)
        if let f = filter { loop.state.filter = try? TraceFilter.parse(f) }
        loop.run()
        for s in model.session.sources {
            if let failure = s.failure { FileHandle.standardError.write(Data("hepscope: \(failure)\n".utf8)) }
        }
        // Loader threads may still be reading a big file: leave without waiting for them.
        Glibc.exit(model.session.sources.contains { $0.failure != nil } ? 2 : 0)
    }
}
