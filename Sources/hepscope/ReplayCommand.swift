import ArgumentParser
import Benchmarking
import Foundation
import LiveIngest
import TraceOutput

/// `hepscope replay`: send recorded HEP to a listener on this machine, at a steady rate.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send recorded HEP packets (a raw dump or a pcap of HEP over UDP) to a UDP listener on loopback."
    )

    @Option(parsing: .unconditional, help: "Packets per second (0: as fast as possible).")
    var rate = 1000

    @Option(parsing: .unconditional, help: "Stop after this many seconds.")
    var seconds = 60.0

    @Option(parsing: .unconditional, help: "Send the whole input this many times.")
    var loop = 1

    @Flag(help: "Append -L<loop> to every Call-ID so each loop is a new set of calls.")
    var uniqueCalls = false

    @Option(help: "Replace the correlation id; %d becomes the loop number (e.g. run-%d).")
    var rewriteCorr: String?

    @Argument(help: "A raw HEP dump (4-byte big-endian length records) or a pcap holding HEP over UDP.")
    var input: String

    @Argument(help: "udp://127.0.0.1:PORT")
    var target: String

    func validate() throws {
        if rate < 0 { throw ValidationError("--rate must be 0 (as fast as possible) or more") }
        if !(seconds > 0 && seconds <= 86_400 * 365) { throw ValidationError("--seconds must be positive, at most a year") }
        if loop < 1 { throw ValidationError("--loop must be at least 1") }
        _ = try udpTarget()
    }

    /// TARGET as a UDP host and port; anything else is a usage error.
    func udpTarget() throws -> (host: String, port: Int) {
        let spec: SourceSpec
        do { spec = try SourceSpec.parse(target) } catch { throw ValidationError("\(error)") }
        guard case .udp(let host, let port) = spec else { throw ValidationError("the target must be udp://HOST:PORT") }
        guard port != 0 else { throw ValidationError("\(target): port 0 is no listener's: give the port it listens on") }
        return (host, port)
    }

    func run() throws {
        let (host, port) = try udpTarget()
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
            Output.write("hepscope: \(SafeText.line(input)): is a directory\n", to: 2)
            throw ExitCode(2)
        }
        let replayer: HEPReplayer
        do { replayer = try HEPReplayer(path: input) } catch {
            // An input that cannot be read is said as print says it, with the same status.
            Output.write("hepscope: \(SafeText.line("\(error)"))\n", to: 2)
            throw ExitCode(2)
        }
        if let cut = replayer.truncation { Output.write("hepscope: warning: \(SafeText.line(cut))\n", to: 2) }
        let r = try replayer.sendUDP(host: host, port: port, rate: rate, seconds: seconds, loops: loop, uniqueCalls: uniqueCalls, correlation: rewriteCorr)
        let refused = r.notSent.values.reduce(0, +)
        print("sent \(r.packets)\(refused > 0 ? " of \(r.packets + refused)" : "") packets, \(r.bytes) bytes in \(ComparisonTable.fixed(r.seconds, 3)) s (\(Int(r.rate)) packets/s)")
        // Packets the kernel would not send are said, not left to be guessed from the count.
        for (why, n) in r.notSent.sorted(by: { $0.key < $1.key }) {
            Output.write("hepscope: \(n) packets not sent: \(why) at \(SafeText.line(target))\n", to: 2)
        }
        // Nothing listening for at least part of the run: what was "sent" went nowhere either
        // (the kernel refuses every other datagram once the port has answered unreachable).
        if r.notSent["nothing listening"] != nil || r.packets == 0 && !r.notSent.isEmpty { throw ExitCode(1) }
    }
}
