import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// The filter language shared by `print --filter` and the viewer: parsing, error positions, and
/// what matches on the real Kamailio capture (20 basic calls in -udp-a; 10 busy and 10 re-INVITE
/// calls in -udp-b).
@Suite struct TraceFilterTests {
    static let store: TraceStore = {
        var load = TraceLoad()
        load.load(path: Fixtures.kamailio("hep-kamailio-udp.pcap").path)
        return load.store
    }()

    func calls(_ expression: String) throws -> [String] {
        let filter = try TraceFilter.parse(expression)
        let s = Self.store
        return s.calls.indices.filter { filter.matches(call: Int32($0), in: s) }
            .map { s.strings.string(s.calls[$0].callID) }
    }

    func messageCount(_ expression: String) throws -> Int {
        let filter = try TraceFilter.parse(expression)
        let s = Self.store
        return s.messages.indices.filter { filter.matches(message: Int32($0), in: s) }.count
    }

    @Test func fieldsOnCalls() throws {
        #expect(try calls("state:busy").count == 10)
        #expect(try calls("state:busy").allSatisfy { $0.hasPrefix("udp-busy-") })
        #expect(try calls("status:486").count == 10)
        #expect(try calls("status:4xx").count == 10)
        #expect(try calls("status:200").count == 30)
        #expect(try calls("method:INVITE").count == 40)
        #expect(try calls("method:bye").count == 30)
        #expect(try calls("to:busy").count == 10)
        #expect(try calls("to:BASIC").count == 20)
        #expect(try calls("from:uac").count == 40)
        #expect(try calls("callid:reinv-3-").count == 1)
        #expect(try calls("corr:udp-a").count == 20)
        #expect(try calls("corr:udp-b").count == 20)
        #expect(try calls("src:127.0.0.1:5076").count == 10)
        #expect(try calls("dst:127.0.0.1").count == 40)
        #expect(try calls("state:in-call").isEmpty)
        #expect(try calls("state:completed").count == 30)
    }

    @Test func booleanOperators() throws {
        #expect(try calls("corr:udp-b and not state:busy").count == 10)
        #expect(try calls("corr:udp-b !state:busy").count == 10)
        #expect(try calls("state:busy or to:basic").count == 30)
        #expect(try calls("(state:busy or to:basic) corr:udp-a").count == 20)
        #expect(try calls("state:busy && to:basic").isEmpty)
        #expect(try calls("not (corr:udp-a || corr:udp-b)").isEmpty)
        // A word alone looks in Call-ID, From, To and the correlation id.
        #expect(try calls("reinv").count == 10)
    }

    /// An operator, a quote or another regex straight after a regex's closing slash is not
    /// taken for a flag.
    @Test func whatFollowsARegexWithoutASpace() throws {
        #expect(try calls("/Busy Here/&&state:busy").count == 10)
        #expect(try calls("/Busy Here/||/CSeq: 2 INVITE/").count == 20)
        #expect(try calls("/Busy Here//486/").count == 10)
        #expect(try calls("/busy here/i&&state:busy").count == 10)
        #expect(try calls("!/Busy Here/").count == 30)
        // And after a word or a field's value, as after a regex.
        #expect(try calls("method:INVITE&&status:486").count == 10)
        #expect(try calls("status:486||status:200").count == 40)
        #expect(try calls("state:busy&&/Busy Here/").count == 10)
    }

    @Test func payloadRegex() throws {
        #expect(try calls("/Busy Here/").count == 10)
        #expect(try calls("/busy here/i").count == 10)
        #expect(try calls("/busy here/").isEmpty)
        #expect(try calls(#"/a=sendonly|a=inactive/"#).count >= 0)
        #expect(try calls(#"/CSeq: 2 INVITE/"#).count == 10)  // the re-INVITEs
        // A pattern sees the bytes' CR and LF apart, as grep would.
        #expect(try calls(#"/486 Busy Here\r/"#).count == 10)
        #expect(try calls(#"/Busy Here\r\nVia/"#).count == 10)
        #expect(try calls(#"/Busy Here\nVia/"#).isEmpty)
    }

    @Test func messages() throws {
        #expect(try messageCount("status:486") == 10)
        let invites = try messageCount("method:INVITE"), provisional = try messageCount("method:INVITE status:1xx")
        #expect(provisional > 0)
        #expect(try messageCount("method:INVITE and not status:1xx") == invites - provisional)
        // A response answers the method its CSeq names.
        #expect(try messageCount("method:BYE") == 60)
        #expect(try messageCount("/^SIP\\/2.0 486/") == 10)
        let busyMessages = Self.store.calls.filter { $0.state == .busy }.reduce(0) { $0 + Int($1.messageCount) }
        #expect(try messageCount("state:busy") == busyMessages)
    }

    @Test func endpointsAndAddresses() throws {
        let p = try TraceFilter.parse("src:[2001:db8::1]:5060 dst:::ffff:10.0.0.1 src:2001:db8::7")
        guard case .and(.and(.term(.source(let a)), .term(.destination(let b))), .term(.source(let c))) = p.root else {
            Issue.record("unexpected tree \(p.root)")
            return
        }
        #expect(a.port == 5060)
        #expect(a.address == .v6(high: 0x2001_0db8_0000_0000, low: 1))
        #expect(b.address == .v6(high: 0, low: 0x0000_ffff_0a00_0001))
        #expect(b.port == nil)
        #expect(c.address == .v6(high: 0x2001_0db8_0000_0000, low: 7))
    }

    @Test(arguments: [
        ("", 0, "empty filter"),
        ("status:", 7, "expected a value after 'status:'"),
        ("status:999", 7, "expected a status code"),
        ("state:napping", 6, "unknown state 'napping'"),
        ("colour:red", 0, "unknown field 'colour'"),
        ("(state:busy", 11, "expected ')'"),
        ("state:busy)", 10, "')' without a matching '('"),
        ("state:busy and", 14, "expected a term after the last operator"),
        ("/unclosed", 0, "regular expression not closed"),
        ("/a(/", 0, "invalid regular expression"),
        ("src:1.2.3", 4, "expected an address"),
        ("from:\"alice", 5, "quoted text not closed"),
        ("/busy/I", 6, "unknown flag 'I' after /busy/"),
        ("/busy/ix and state:busy", 6, "unknown flag 'ix'"),
        ("state:busy | to:x", 11, "unexpected '|': write 'and' or '&&', 'or' or '||'"),
        ("state:busy & to:x", 11, "unexpected '&'"),
    ])
    func errorsSayWhereAndWhat(_ expression: String, _ position: Int, _ message: String) {
        do {
            _ = try TraceFilter.parse(expression)
            Issue.record("'\(expression)' parsed")
        } catch {
            #expect(error.position == position, "\(expression): \(error)")
            #expect(error.message.contains(message), "\(expression): \(error)")
            #expect(error.description.hasPrefix("at column \(position + 1): "))
        }
    }

    @Test func linkedLegsAnswerToTheirGroupName() throws {
        let url = try Scenarios.write(Scenarios.xcidChain().pcap, name: "filter-xcid-chain.pcap")
        var load = TraceLoad()
        load.load(path: url.path)
        let s = load.store
        let group = s.orderedGroups.first { s.correlationID(of: s.groups[$0]) != nil }!
        let name = s.correlationID(of: s.groups[group])!
        let filter = try TraceFilter.parse("corr:\"\(name)\"")
        let matching = s.calls.indices.filter { filter.matches(call: Int32($0), in: s) }
        #expect(matching.count == s.groups[group].calls.count)
        #expect(matching.count >= 2)
    }

    /// Names are matched in any case, as Unicode folds them: a From user spelt with the Kelvin
    /// sign (which lowercases to 'k') answers to "kelvin", as in the viewer's search.
    @Test func namesMatchInAnyCaseUnicodeToo() throws {
        var store = TraceStore()
        for (n, user) in ["ALICE", "\u{212A}elvin", "bob"].enumerated() {
            let text = "INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\(n)\r\n"
                + "From: <sip:\(user)@h>;tag=\(n)\r\nTo: <sip:x@h>\r\nCall-ID: case-\(n)\r\nCSeq: 1 INVITE\r\n"
                + "Content-Length: 0\r\n\r\n"
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBytes { p in
                guard case .message(let index) = SIPParser.parse(p) else { throw ParseFailure() }
                let at = Timestamp(nanoseconds: Int64(n + 1) * 1_000_000_000)
                store.add(DecodedMessage(
                    timestamp: at, captureTime: at, source: Endpoint(address: .v4(0x0a00_0001), port: 5060),
                    destination: Endpoint(address: .v4(0x0a00_0002), port: 5060), transport: .udp, payloadType: 1,
                    payload: p, sip: index, hep: nil, frameNumber: n + 1, payloadInputOffset: nil))
            }
        }
        func matching(_ expression: String) throws -> [String] {
            let filter = try TraceFilter.parse(expression)
            return store.calls.indices.filter { filter.matches(call: Int32($0), in: store) }
                .map { store.strings.string(store.calls[$0].callID) }
        }
        #expect(try matching("from:alice") == ["case-0"])
        #expect(try matching("from:kelvin") == ["case-1"])
        #expect(try matching("kelvin") == ["case-1"])
        #expect(try matching("from:LVI") == ["case-1"])
        #expect(try matching("from:carol").isEmpty)
    }

    struct ParseFailure: Error {}

    @Test func caseFoldedSearchOnBytes() {
        func search(_ hay: String, _ pattern: String) -> Bool? {
            Array(hay.utf8).withUnsafeBytes { CaseFoldedSearch.contains($0, Array(pattern.utf8)) }
        }
        #expect(search("Call-ID-ABC", "id-abc") == true)
        #expect(search("Call-ID-ABC", "abc") == true)
        #expect(search("Call-ID-ABC", "abcd") == false)
        #expect(search("ab", "abc") == false)
        #expect(search("xyz", "") == true)
        // Not ASCII: no answer from the bytes, whether or not they hold the pattern.
        #expect(search("caf\u{e9} alice", "alice") == nil)
        #expect(search("\u{212A}elvin", "kelvin") == nil)
    }
}
