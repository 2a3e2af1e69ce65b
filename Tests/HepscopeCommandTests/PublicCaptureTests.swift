import Foundation
import Testing
import TestSupport

/// The public sample captures, read in place from ../shared/captures/public. Expected figures
/// were taken from tshark (`-Y sip`, with `-d tcp.port==6060,sip` for the segmented TCP one).
@Suite(.enabled(if: Fixtures.publicCapturesFolder != nil, "../shared/captures/public is absent"))
struct PublicCaptureTests {
    struct Expectation: CustomStringConvertible, Sendable {
        var file: String
        var callIDs: Int
        var sipMessages: Int
        var otherEvents = 0
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        .init(file: "hep-wireshark_hep.pcap", callIDs: 1, sipMessages: 6, otherEvents: 2),
        .init(file: "hep-wireshark_hep3_compressed.pcapng", callIDs: 1, sipMessages: 21),
        .init(file: "heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", callIDs: 3, sipMessages: 92),
        .init(file: "heplify_erspan_sip_ipv4_udp.pcapng", callIDs: 7, sipMessages: 140),
        .init(file: "heplify_ipip0.pcap", callIDs: 3, sipMessages: 8),
        .init(file: "heplify_rtp_rtcp_sip_ipv4_udp.pcap", callIDs: 4, sipMessages: 14),
        .init(file: "heplify_sip_ipv4_tcp.pcap", callIDs: 1, sipMessages: 7),
        .init(file: "heplify_sip_ipv4_tcp_fragmented.pcap", callIDs: 70, sipMessages: 406),
        .init(file: "heplify_sip_ipv4_tcp_retrans.pcap", callIDs: 1, sipMessages: 8),
        .init(file: "heplify_sip_ipv6_udp.pcap", callIDs: 1, sipMessages: 6),
        .init(file: "heplify_sip_sctp.pcap", callIDs: 1, sipMessages: 4),
        .init(file: "heplify_sip_tcp_websocket.pcap", callIDs: 3, sipMessages: 39),
        .init(file: "sngrep_aaa.pcap", callIDs: 6, sipMessages: 81),
        .init(file: "sngrep_ipip.pcap", callIDs: 1, sipMessages: 4),
        .init(file: "sngrep_ipv6frag.pcap", callIDs: 1, sipMessages: 32),
    ]

    func document(_ file: String) throws -> (HepscopeRun, [String: Any]) {
        let run = try HepscopeRun.run(["print", "--json", Fixtures.publicCapture(file)!.path])
        return (run, try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any])
    }

    @Test(arguments: expectations)
    func loadsWithTheCallsWiresharkFinds(_ e: Expectation) throws {
        let (run, doc) = try document(e.file)
        #expect(run.status == 0)
        let groups = doc["groups"] as! [[String: Any]]
        let callIDs = Set(groups.flatMap { ($0["calls"] as! [[String: Any]]).map { $0["call_id"] as! String } })
        #expect(callIDs.count == e.callIDs)
        let input = doc["input"] as! [String: Any]
        #expect(input["sip_messages"] as? Int == e.sipMessages)
        #expect(input["other_events"] as? Int == e.otherEvents)
        #expect(input["malformed"] as? Int == 0)
    }

    /// Saved as pcap, each opens again with the same calls and messages, whatever its link
    /// type (made-up frames, for messages rebuilt from several, take the capture's).
    @Test(arguments: expectations)
    func savedAsPcapOpensAgainTheSame(_ e: Expectation) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-public-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("again.pcap").path
        let save = try HepscopeRun.run(["save", "-o", out, Fixtures.publicCapture(e.file)!.path])
        #expect(save.status == 0, "\(save.stderr)")
        let again = try HepscopeRun.run(["print", "--json", out])
        let doc = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        let (_, original) = try document(e.file)
        // Call-IDs and the messages kept (exact duplicates of the original are kept once).
        func calls(_ d: [String: Any]) -> [String: Int] {
            var out: [String: Int] = [:]
            for g in d["groups"] as! [[String: Any]] {
                for c in g["calls"] as! [[String: Any]] { out[c["call_id"] as! String, default: 0] += (c["messages"] as! [Any]).count }
            }
            return out
        }
        #expect(calls(doc) == calls(original))
        #expect(calls(doc).count == e.callIDs)
        #expect((doc["input"] as! [String: Any])["malformed"] as? Int == 0)
    }

    /// heplify's fax capture comes off a SPAN port: 23 packets are in it twice, about a
    /// millisecond apart with the same IP id (tshark: `-T fields -e ip.id`). They are the
    /// capture's copies, counted once, not retransmissions.
    @Test func spanCopiesAreNotRetransmissions() throws {
        let (_, doc) = try document("heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap")
        let input = doc["input"] as! [String: Any]
        #expect(input["exact_duplicates"] as? Int == 23 && input["retransmissions"] as? Int == 0, "\(input)")
    }

    @Test func heplifyHEPSampleKeepsLogAndRTCPEventsInTheGroup() throws {
        let (_, doc) = try document("hep-wireshark_hep.pcap")
        let groups = doc["groups"] as! [[String: Any]]
        #expect(groups.count == 1)
        let events = groups[0]["events"] as! [[String: Any]]
        #expect(Set(events.map { $0["type"] as! String }) == ["LOG", "RTCP"])
        let sip = (groups[0]["calls"] as! [[String: Any]])[0]["messages"] as! [[String: Any]]
        #expect(sip.allSatisfy { $0["capture_id"] as? Int == 2001 })
    }

    @Test func compressedHEPIsInflatedAndRepeatedRecordsCountOnce() throws {
        let (_, doc) = try document("hep-wireshark_hep3_compressed.pcapng")
        let call = ((doc["groups"] as! [[String: Any]])[0]["calls"] as! [[String: Any]])[0]
        let messages = call["messages"] as! [[String: Any]]
        // The file holds each of the 7 HEP records three times (same agent, time and bytes).
        #expect(messages.count == 7)
        #expect((doc["input"] as! [String: Any])["exact_duplicates"] as? Int == 14)
        #expect(messages.compactMap { $0["method"] as? String ?? ($0["status"] as? Int).map(String.init) }
            == ["REGISTER", "REGISTER", "401", "401", "REGISTER", "REGISTER", "200"])
        #expect(messages.allSatisfy { $0["capture_id"] as? Int == 228 && $0["transport"] as? String == "TCP" })
    }

    @Test func nonSIPCaptureLoadsWithNoCallsAndANote() throws {
        let (run, doc) = try document("heplify_ipv6_udp_fragmented.pcap")
        #expect(run.status == 0)
        #expect((doc["groups"] as! [Any]).isEmpty)
        let warnings = (doc["input"] as! [String: Any])["warnings"] as! [String]
        #expect(warnings.contains { $0.contains("no SIP or HEP messages found in 6 frames") })
        let text = try HepscopeRun.run(["print", Fixtures.publicCapture("heplify_ipv6_udp_fragmented.pcap")!.path])
        #expect(text.stdout.contains("warning: "))
    }

    @Test func webSocketTransportIsShown() throws {
        let (_, doc) = try document("heplify_sip_tcp_websocket.pcap")
        let transports = Set((doc["groups"] as! [[String: Any]]).flatMap { g in
            (g["calls"] as! [[String: Any]]).flatMap { ($0["messages"] as! [[String: Any]]).map { $0["transport"] as! String } }
        })
        #expect(transports.contains("WS"))
    }
}
