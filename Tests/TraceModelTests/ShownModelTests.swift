import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// A filter's model (`TraceStore.shown`): worked out anew from what it shows, but a filter
/// only hides calls; one that joined a session or a group of linked legs through a call the
/// filter hides stays in that group, under that group's name.
@Suite struct ShownModelTests {
    func store(_ scenario: ScenarioCapture) throws -> TraceStore { try store(scenario.pcap) }

    func store(_ pcap: [UInt8]) throws -> TraceStore {
        var store = TraceStore()
        let decoder = TraceDecoder()
        try pcap.withUnsafeBytes { bytes in
            var reader = try CaptureFileReader(bytes)
            while let f = reader.next() { decoder.decode(frame: f) { store.add($0) } }
        }
        return store
    }

    /// The groups with calls, each as its name and its calls' Call-IDs.
    func groups(_ s: TraceStore) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for g in s.orderedGroups where !s.groups[g].calls.isEmpty {
            out[s.correlationID(of: s.groups[g]) ?? "(uncorrelated)"] = s.orderedCalls(of: s.groups[g]).map { s.strings.string(s.calls[Int($0)].callID) }
        }
        return out
    }

    func keepingCalls(_ s: TraceStore, _ callIDs: Set<String>) -> TraceStore {
        s.shown { m in
            let c = s.messages[Int(m)].call
            return c >= 0 && callIDs.contains(s.strings.string(s.calls[Int(c)].callID))
        }
    }

    @Test func aLegLinkedIntoASessionStaysInItWithoutTheSessionsCalls() throws {
        let s = try store(Scenarios.legLinkedIntoSession(linkedLegFirst: false))
        let leg = Scenarios.linkedIntoSessionCallIDs[3]
        #expect(groups(s)["link-run"]?.count == 4)
        let shown = keepingCalls(s, [leg])
        #expect(groups(shown) == ["link-run": [leg]])
        let g = try #require(shown.orderedGroups.first { !shown.groups[$0].calls.isEmpty })
        #expect(shown.groups[g].statistics.calls == 1 && shown.groups[g].messageCount == 7)
        #expect(shown.span(of: shown.groups[g]).first == shown.messages.map { $0.time }.min())
    }

    @Test(arguments: [1, 2])
    func linkedLegsStayTogetherUnderTheirAlegsName(shownFrom: Int) throws {
        let s = try store(Scenarios.xcidChain())
        let all = Scenarios.xcidChainCallIDs
        #expect(groups(s) == [all[0]: all])
        let kept = Array(all[shownFrom...])
        let shown = keepingCalls(s, Set(kept))
        #expect(groups(shown) == [all[0]: kept])
        // The first leg shown still says what links it to the one hidden before it.
        let first = try #require(shown.calls.indices.first { shown.strings.string(shown.calls[$0].callID) == kept[0] })
        #expect(shown.linksToHiddenCalls(of: Int32(first)).map { "\($0.callID) \($0.header)" } == ["\(all[shownFrom - 1]) X-CID"])
        #expect(shown.linksToHiddenCalls(of: Int32(first)).count + shown.links(of: Int32(first)).count
                == s.links(of: Int32(shownFrom)).count)
    }

    @Test func callsOfTwoLinkGroupsStayApart() throws {
        let s = try store(Scenarios.sessionIDAndICID())
        let sid = Scenarios.sessionIDCallIDs, icid = Scenarios.icidCallIDs
        let shown = keepingCalls(s, [sid[1], icid[1]])
        #expect(groups(shown) == [sid[0]: [sid[1]], icid[0]: [icid[1]]])
        // Everything shown: the same groups. And calls linked to nothing stay uncorrelated.
        let chain = try store(Scenarios.xcidChain())
        #expect(groups(chain.shown { _ in true }) == groups(chain))
        let plain = try store(Fixtures.bytes(Fixtures.kamailio("sip-plain-udp.pcap")))
        let busy = Set(plain.calls.map { plain.strings.string($0.callID) }.filter { $0.hasPrefix("udp-busy-") })
        #expect(busy.count == 10)
        #expect(groups(keepingCalls(plain, busy)).mapValues(Set.init) == ["(uncorrelated)": busy])
    }
}
