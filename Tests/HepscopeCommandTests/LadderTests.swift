import Foundation
import Testing
import TestSupport

@Suite struct LadderTests {
    func ladder(of callID: String, in capture: String, ascii: Bool = false) throws -> [Substring] {
        var args = ["print", "--ladder", Fixtures.kamailio(capture).path]
        if ascii { args.append("--ascii") }
        let run = try HepscopeRun.run(args)
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: Substring("Call-ID \(callID)")) else {
            Issue.record("no ladder for \(callID)")
            return []
        }
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    @Test func busyCallOnTheWireShowsBothLegs() throws {
        let callID = "udp-busy-1-642@127.0.0.1"
        let rows = try ladder(of: callID, in: "sip-plain-udp.pcap", ascii: true)
        let flow = (try Fixtures.truth("sip-plain-udp.truth.json")["calls"] as! [String: [String: Any]])[callID]!["flow"] as! [String]
        let first = (try Fixtures.truth("sip-plain-udp.truth.json")["messages"] as! [[String: Any]])
            .first { $0["call_id"] as? String == callID }!
        // A header, then one row per message of the flow tshark lists.
        #expect(rows.count == 1 + flow.count)
        #expect(rows[0].hasPrefix("                      \(first["src"] as! String)          \(first["dst"] as! String)"))
        #expect(rows[1].hasSuffix("|--------INVITE-------->|                       |"))
        // The 486 crosses both legs, right to left.
        #expect(rows.filter { $0.contains("|<---486 Busy Here------|") }.count == 2)
        #expect(rows.filter { $0.contains("ACK") }.count == 2)
    }

    @Test func unicodeArrowsPointTheRightWay() throws {
        let rows = try ladder(of: "udp-basic-1-641@127.0.0.1", in: "hep-kamailio-udp.pcap")
        #expect(rows[1] == "01:55:19.662639              │────────INVITE────────▶│                       │")
        #expect(rows.last?.contains("◀") == true)
    }
}
