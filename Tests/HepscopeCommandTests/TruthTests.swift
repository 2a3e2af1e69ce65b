import Foundation
import Testing
import TestSupport

/// `print --json` against the tshark truth of each real Kamailio capture: the multiset of
/// (correlation id, Call-ID, method or status, src, dst, transport) must be identical.
@Suite struct TruthTests {
    struct Row: Hashable, CustomStringConvertible {
        var correlation: String?
        var callID: String
        var label: String
        var src: String
        var dst: String
        var transport: String
        var description: String { "\(correlation ?? "-") \(callID) \(label) \(src)->\(dst) \(transport)" }
    }

    static let protocolNames = [17: "UDP", 6: "TCP", 22: "TLS", 132: "SCTP", 50: "WS"]

    func truthRows(_ name: String) throws -> [Row: Int] {
        var rows: [Row: Int] = [:]
        for m in try Fixtures.truth(name)["messages"] as! [[String: Any]] {
            let transport: String
            if let proto = m["hep_ip_proto"] as? Int {
                transport = Self.protocolNames[proto] ?? String(proto)
            } else {
                transport = ((m["transport"] as? String) ?? "").uppercased()
            }
            let label = (m["method"] as? String) ?? String(m["status"] as! Int)
            rows[Row(correlation: m["correlation_id"] as? String, callID: m["call_id"] as! String, label: label,
                     src: m["src"] as! String, dst: m["dst"] as! String, transport: transport), default: 0] += 1
        }
        return rows
    }

    func ourRows(_ json: String) throws -> (rows: [Row: Int], document: [String: Any]) {
        let doc = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        var rows: [Row: Int] = [:]
        for g in doc["groups"] as! [[String: Any]] {
            for c in g["calls"] as! [[String: Any]] {
                for m in c["messages"] as! [[String: Any]] {
                    let label = (m["method"] as? String) ?? String(m["status"] as! Int)
                    rows[Row(correlation: m["correlation_id"] as? String, callID: c["call_id"] as! String,
                             label: label, src: m["src"] as! String, dst: m["dst"] as! String,
                             transport: m["transport"] as! String), default: 0] += 1
                }
            }
        }
        return (rows, doc)
    }

    @Test(arguments: ["hep-kamailio-udp", "sip-plain-udp", "sip-plain-tcp"])
    func printJSONMatchesTruth(capture: String) throws {
        let run = try HepscopeRun.run(["print", "--json", Fixtures.kamailio("\(capture).pcap").path])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        let (ours, doc) = try ourRows(run.stdout)
        let truth = try truthRows("\(capture).truth.json")
        let missing = truth.filter { ours[$0.key] != $0.value }.map(\.key)
        let extra = ours.filter { truth[$0.key] != $0.value }.map(\.key)
        #expect(missing.isEmpty, "missing or miscounted: \(missing.prefix(3))")
        #expect(extra.isEmpty, "extra: \(extra.prefix(3))")
        #expect(ours.values.reduce(0, +) == truth.values.reduce(0, +))

        // Groups and their counts agree with the truth summary.
        let summary = try Fixtures.truth("\(capture).truth.json")["summary"] as! [String: Any]
        let byCorrelation = summary["by_correlation_id"] as! [String: [String: Int]]
        let groups = doc["groups"] as! [[String: Any]]
        #expect(groups.count == byCorrelation.count)
        for g in groups {
            let key = (g["correlation_id"] as? String) ?? "None"
            #expect((g["calls"] as! [Any]).count == byCorrelation[key]?["call_ids"])
            #expect(g["message_count"] as? Int == byCorrelation[key]?["messages"])
        }
        let input = doc["input"] as! [String: Any]
        #expect(input["malformed"] as? Int == 0)
        #expect(input["sip_messages"] as? Int == summary["sip_messages"] as? Int)
    }

    @Test func messagesOfACallAreInTimeOrder() throws {
        let run = try HepscopeRun.run(["print", "--json", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let groups = doc["groups"] as! [[String: Any]]
        // Two test runs, each with its own correlation id, in order of their first message.
        #expect(groups.map { $0["correlation_id"] as? String }
            == ["tb-20261127T015517Z-udp-a", "tb-20261127T015517Z-udp-b"])
        for g in groups {
            for c in g["calls"] as! [[String: Any]] {
                let times = (c["messages"] as! [[String: Any]]).map { $0["time"] as! Double }
                #expect(times == times.sorted())
            }
        }
        let busy = (groups[1]["calls"] as! [[String: Any]]).first { ($0["call_id"] as! String).hasPrefix("udp-busy-1-") }
        let labels = (busy?["messages"] as? [[String: Any]])?.map { ($0["method"] as? String) ?? String($0["status"] as! Int) }
        #expect(labels == ["INVITE", "100", "180", "486"])
    }
}
