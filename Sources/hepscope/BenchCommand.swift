import ArgumentParser
import Benchmarking
import CaptureIngest

#if canImport(Glibc)
import Glibc
#endif

/// `hepscope bench`: how fast and how small, on a real file, next to sngrep and tshark.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decoding speed and memory on a capture, next to sngrep and tshark when installed.",
        discussion: """
            Make a big capture first: ../shared/tools/gen-big-capture.py --out BIG.pcap. Build \
            with -c release for meaningful figures.
            """
    )

    @Option(parsing: .unconditional, help: "How many in-process loads to time (the fastest counts).")
    var repeats = 3

    @Flag(help: "Do not run sngrep and tshark.")
    var noCompare = false

    @Flag(help: "Also time decoding and the model's work each on its own (one after the other, on one thread).")
    var stages = false

    @Flag(help: "Measure live UDP ingest instead: replay CAPTURE (HEP) at --rate into a listening hepscope.")
    var live = false

    @Flag(help: "Measure the interactive viewer instead: first screen, and how long each key takes during and after the load.")
    var viewer = false

    @Option(help: "With --viewer: the model's memory budget (e.g. 64M), so that the load goes through evictions.")
    var memoryLimit: String?

    @Flag(help: "With --viewer --memory-limit: rebuild on the loop's thread (as print does) instead of aside, for comparison.")
    var evictionsInPlace = false

    @Option(parsing: .unconditional, help: "With --live: packets per second.")
    var rate = 100_000

    @Option(parsing: .unconditional, help: "With --live: seconds of sending.")
    var seconds = 10.0

    @Argument(help: "The capture to measure (with --live: a HEP dump or pcap to replay, e.g. Tests/Fixtures/kamailio/hep-raw-udp.bin).")
    var capture: String

    /// The resident memory after a load of `messages`, in all and anonymous, and per message.
    static func afterTheLoad(resident: Int, anonymous: Int, messages: Int) -> String {
        func perMessage(_ bytes: Int) -> String { ComparisonTable.fixed(Double(bytes) / Double(max(messages, 1)), 1) }
        return "  after the load: \(resident / 1_048_576) MiB resident, \(perMessage(resident)) bytes per message; "
            + "anonymous (heap) \(anonymous / 1_048_576) MiB, \(perMessage(anonymous)) bytes per message"
    }

    func validate() throws {
        if let m = memoryLimit, MemorySize.parse(m) == nil {
            throw ValidationError("--memory-limit: expected a size such as 64M, got '\(m)'")
        }
        if live, viewer { throw ValidationError("choose one of --live and --viewer") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if rate < 1 || rate > 10_000_000 { throw ValidationError("--rate must be from 1 to 10000000") }
        if !(seconds > 0 && seconds <= 86_400) { throw ValidationError("--seconds must be positive, at most a day") }
        if memoryLimit != nil, !viewer { throw ValidationError("--memory-limit is for --viewer") }
        if stages, live || viewer { throw ValidationError("--stages is for a load, not with --live or --viewer") }
        if evictionsInPlace, memoryLimit == nil { throw ValidationError("--evictions-in-place needs --memory-limit") }
    }

    func run() throws {
        if live { return try runLive() }
        if viewer { return runViewer() }
        let figures = try LoadBenchmark.measure(path: capture, repeats: repeats)
        print("in process: \(figures.messages) messages, \(figures.calls) calls, \(figures.groups) groups")
        print("  decode + index: \(ComparisonTable.fixed(figures.wallSeconds, 3)) s wall, "
            + "\(ComparisonTable.fixed(figures.cpuSeconds, 3)) s CPU, "
            + "\(Int(figures.messagesPerSecond)) messages/s")
        print("  model: \(figures.modelBytes / 1_048_576) MiB, "
            + "\(ComparisonTable.fixed(figures.modelBytesPerMessage, 1)) bytes per message (payloads stay in the file); "
            + "counted by the memory budget: \(figures.budgetedBytes / 1_048_576) MiB")
        print(BenchCommand.afterTheLoad(resident: figures.residentBytes, anonymous: figures.anonymousBytes,
                                        messages: figures.messages))
        if stages {
            let s = try LoadBenchmark.measureStages(path: capture, repeats: repeats)
            func stage(_ name: String, _ seconds: Double) -> String {
                "    \(name) \(ComparisonTable.fixed(seconds, 3)) s CPU, \(Int(s.perCore(seconds))) messages/s per core"
            }
            print("  stages on one thread (each batch decoded, then added):")
            print(stage("decode:", s.decodeSeconds))
            print(stage("model: ", s.modelSeconds))
            print(stage("both:  ", s.decodeSeconds + s.modelSeconds))
        }

        var rows: [ComparisonTable.Row] = []
        let me = CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : (ProcessMeasurement.which("hepscope") ?? CommandLine.arguments[0])
        if let cost = ProcessMeasurement.run([me, "print", "--summary", capture]) {
            rows.append(.init(tool: "hepscope print --summary", cost: cost))
        }
        if !noCompare {
            if let sngrep = ProcessMeasurement.which("sngrep"),
               let cost = ProcessMeasurement.run([sngrep, "-N", "-q", "-E", "-l", "1000000", "-I", capture]) {
                rows.append(.init(tool: "sngrep -N -q -E -l 1000000 -I", cost: cost))
            }
            if let tshark = ProcessMeasurement.which("tshark"),
               let cost = ProcessMeasurement.run([tshark, "-n", "-r", capture, "-q", "-z", "sip,stat"]) {
                rows.append(.init(tool: "tshark -n -q -z sip,stat", cost: cost))
            }
        }
        print("")
        print(ComparisonTable.render(rows), terminator: "")
    }

    /// Starts `hepscope print --summary udp://...` as its own process, replays HEP into it from
    /// this one, and reads what it received and what it cost.
    private func runLive() throws {
        let replayer = try HEPReplayer(path: capture)
        let port = 20_000 + Int(getpid() % 20_000)
        let me = CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : (ProcessMeasurement.which("hepscope") ?? CommandLine.arguments[0])
        let outPath = "/tmp/hepscope-bench-live-\(getpid()).txt"
        defer { unlink(outPath) }
        let expectedPackets = Int(Double(rate) * seconds)
        guard let listener = ProcessMeasurement.start(
            [me, "print", "--summary", "--duration", String(seconds + 5), "--count", String(expectedPackets),
             "udp://127.0.0.1:\(port)"], outputPath: outPath) else {
            throw ValidationError("could not start \(me)")
        }
        usleep(800_000)  // let it bind
        let loops = expectedPackets / max(1, replayer.packetCount) + 1
        let sent = try replayer.sendUDP(host: "127.0.0.1", port: port, rate: rate, seconds: seconds, loops: loops, uniqueCalls: true)
        let (cost, output) = ProcessMeasurement.finish(listener)
        let received = output.split(separator: "\n").first { $0.hasPrefix("source udp://") }
            .flatMap { line in line.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) } } ?? 0
        let lost = sent.packets - received
        print("live UDP: sent \(sent.packets) HEP packets in \(ComparisonTable.fixed(sent.seconds, 2)) s "
            + "(\(Int(sent.rate)) packets/s), received \(received), lost \(lost) "
            + "(\(ComparisonTable.fixed(100 * Double(max(lost, 0)) / Double(max(sent.packets, 1)), 3))%)")
        print("listener: \(ComparisonTable.fixed(cost.cpuSeconds, 2)) s CPU, "
            + "\(ComparisonTable.fixed(cost.cpuSeconds * 1e6 / Double(max(received, 1)), 2)) µs CPU per packet, "
            + "peak RSS \(cost.peakRSSBytes / 1_048_576) MiB")
    }

    /// The viewer's answers on CAPTURE, key by key, against the 50 ms a key may take.
    private func runViewer() {
        let r = ViewerBenchmark.run(path: capture, memoryLimit: memoryLimit.flatMap(MemorySize.parse),
                                    evictionsInPlace: evictionsInPlace)
        print("viewer: \(r.messages) messages, \(r.calls) calls loaded in \(ComparisonTable.fixed(r.loadSeconds, 2)) s")
        if let memoryLimit {
            print("  memory budget \(memoryLimit): \(r.evictions) evictions rebuilt "
                + "\(evictionsInPlace ? "on the loop's thread" : "aside"), \(r.evictedMessages) messages evicted")
        }
        print("  first frame \(ComparisonTable.fixed(r.firstFrameMilliseconds, 1)) ms, "
            + "first calls on screen \(ComparisonTable.fixed(r.firstDataMilliseconds, 1)) ms")
        print(BenchCommand.afterTheLoad(resident: r.residentBytes, anonymous: r.anonymousBytes, messages: r.messages))
        print("")
        let width = max(10, r.steps.map(\.name.count).max() ?? 10)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        func left(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        print(pad("step", width) + left("keys", 6) + left("median ms", 11) + left("worst ms", 10))
        for step in r.steps {
            print(pad(step.name, width) + left(String(step.milliseconds.count), 6)
                + left(ComparisonTable.fixed(step.median, 1), 11) + left(ComparisonTable.fixed(step.worst, 1), 10))
        }
        let worst = r.steps.map(\.worst).max() ?? 0
        print("")
        print("slowest key: \(ComparisonTable.fixed(worst, 1)) ms (\(worst <= 50 ? "within" : "over") the 50 ms budget)")
    }
}
