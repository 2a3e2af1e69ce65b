import ArgumentParser
import Benchmarking

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

    @Option(help: "How many in-process loads to time (the fastest counts).")
    var repeats = 3

    @Flag(help: "Do not run sngrep and tshark.")
    var noCompare = false

    @Argument(help: "The capture to measure.")
    var capture: String

    func run() throws {
        let figures = try LoadBenchmark.measure(path: capture, repeats: repeats)
        print("in process: \(figures.messages) messages, \(figures.calls) calls, \(figures.groups) groups")
        print("  decode + index: \(ComparisonTable.fixed(figures.wallSeconds, 3)) s wall, "
            + "\(ComparisonTable.fixed(figures.cpuSeconds, 3)) s CPU, "
            + "\(Int(figures.messagesPerSecond)) messages/s")
        print("  model: \(figures.modelBytes / 1_048_576) MiB, "
            + "\(ComparisonTable.fixed(figures.modelBytesPerMessage, 1)) bytes per message (payloads stay in the file)")

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
}
