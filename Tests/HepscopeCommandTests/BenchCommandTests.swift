import Foundation
import Testing
import TestSupport

/// `hepscope bench` on a real capture: it reports the load and the viewer's keys for the file
/// it was given (the figures themselves are machine-dependent and not asserted).
@Suite struct BenchCommandTests {
    @Test func loadFiguresForTheCapture() throws {
        let run = try HepscopeRun.run(["bench", "--repeats", "1", "--no-compare", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("in process: 280 messages, 40 calls, 2 groups"), "\(run.stdout)")
        #expect(run.stdout.contains("after the load: "))
        #expect(run.stdout.contains("hepscope print --summary"))
    }

    @Test func viewerKeysForTheCapture() throws {
        let run = try HepscopeRun.run(["bench", "--viewer", Fixtures.kamailio("sip-plain-udp.pcap").path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("viewer: 590 messages, 40 calls loaded in ") == true, "\(lines.first ?? "")")
        // One row per sort column, each with one key, and the verdict against the budget.
        for column in ["From", "To", "method", "messages", "state", "PDD", "duration", "src", "Call-ID"] {
            #expect(lines.contains { $0.hasPrefix("all calls: sort by \(column) ") && $0.contains("  1 ") }, "\(column)")
        }
        #expect(lines.contains { $0.hasPrefix("keys while loading") })
        #expect(lines.last?.hasPrefix("slowest key: ") == true)
    }
}
