import Benchmarking
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A bounded long run: steady HEP with a new test session every 280 packets, under a small
/// memory budget. Whole sessions are evicted, memory stays under the budget plus a margin.
@Suite(.serialized) struct SoakTests {
    @Test func steadyTrafficUnderASmallBudget() throws {
        let port = LiveCommandTests.freePort()
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(port).txt").path
        defer { unlink(outPath) }
        let limitMB = 4
        guard let listener = ProcessMeasurement.start(
            [HepscopeRun.binary.path, "print", "--summary", "--memory-limit", "\(limitMB)M", "--duration", "14",
             "udp://127.0.0.1:\(port)"], outputPath: outPath) else {
            Issue.record("could not start hepscope")
            return
        }
        usleep(800_000)
        let replayer = try HEPReplayer(path: Fixtures.kamailio("hep-raw-udp.bin").path)
        let sent = try replayer.sendUDP(host: "127.0.0.1", port: port, rate: 6000, seconds: 12, loops: 1_000_000,
                                        uniqueCalls: true, correlation: "soak-%d")
        let (cost, output) = ProcessMeasurement.finish(listener)
        #expect(cost.exitStatus == 0)
        let lines = output.split(separator: "\n")
        // ~72,000 packets: some 250 sessions of 280 messages, more than 4 MiB of index holds (the
        // payloads themselves go to a spool file, not into the budget).
        #expect(sent.packets > 50_000)
        let received = lines.first { $0.hasPrefix("source udp://") }.map(String.init) ?? ""
        #expect(received.contains("\(sent.packets) packets"), "\(received)")
        let evicted = lines.first { $0.hasPrefix("memory limit: ") }
        #expect(evicted != nil)
        // Each session is small: dropping old ones makes room, no session loses calls.
        #expect(evicted?.contains("calls") == false, "\(evicted ?? "")")
        // Whole sessions only: every kept session that is not the last one has all 40 calls.
        let kept = lines.filter { $0.hasPrefix("soak-") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(kept.count > 3)
        #expect(kept.dropLast().allSatisfy { $0[2] == "40" && $0[9] == "280" }, "\(kept.map { $0.prefix(10).joined(separator: " ") }.prefix(5))")
        // The budget bounds the model, and the model rebuilt beside it while groups are
        // dropped; the runtime and its libraries (about 36 MiB in a debug build), NIO and
        // buffers add to it. (52 MiB when evictions went on to the budget itself, and freed
        // lists stayed in the heap.)
        let peakMB = cost.peakRSSBytes >> 20
        print("soak: sent \(sent.packets) packets, peak RSS \(peakMB) MiB with a \(limitMB) MiB budget; \(evicted ?? "")")
        #expect(peakMB < limitMB + 46)
    }
}
