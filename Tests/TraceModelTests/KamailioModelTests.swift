import CaptureIngest
import Testing
import TestSupport
import TraceModel

/// The model on the real Kamailio recordings: sessions, calls, states and timings.
@Suite struct KamailioModelTests {
    func load(_ name: String) -> TraceStore {
        var load = TraceLoad()
        load.load(path: Fixtures.kamailio(name).path)
        #expect(load.failures.isEmpty)
        return load.store
    }

    func calls(_ store: TraceStore, _ group: CorrelationGroup) -> [Call] {
        group.calls.map { store.calls[Int($0)] }
    }

    func name(_ store: TraceStore, _ c: Call) -> String { store.strings.string(c.callID) }

    @Test func twoTestSessionsWithTheirOutcomes() {
        let store = load("hep-kamailio-udp.pcap")
        let groups = store.orderedGroups.map { store.groups[$0] }
        #expect(groups.map { store.correlationID(of: $0) } == ["tb-20261127T015517Z-udp-a", "tb-20261127T015517Z-udp-b"])
        #expect(groups.map(\.calls.count) == [20, 20])

        let a = calls(store, groups[0])
        #expect(a.allSatisfy { $0.state == .completed && $0.finalStatus == 200 && $0.reinvites == 0 })
        let b = calls(store, groups[1])
        let busy = b.filter { name(store, $0).hasPrefix("udp-busy-") }
        let reinvite = b.filter { name(store, $0).hasPrefix("udp-reinv-") }
        #expect(busy.count == 10 && reinvite.count == 10)
        #expect(busy.allSatisfy { $0.state == .busy && $0.finalStatus == 486 && !$0.wasAnswered })
        #expect(reinvite.allSatisfy { $0.state == .completed && $0.reinvites == 1 && $0.wasAnswered })

        let statsB = groups[1].statistics
        #expect(statsB.calls == 20 && statsB.answered == 10 && statsB.failed == 10 && statsB.active == 0)
        #expect(statsB.failuresByStatus == [486: 10])
        #expect(statsB.answerSeizureRatio == 0.5)
        #expect(groups[0].statistics.answerSeizureRatio == 1.0)
    }

    @Test func timingsFollowTheMessages() throws {
        let store = load("hep-kamailio-udp.pcap")
        let truth = try Fixtures.truth("hep-kamailio-udp.truth.json")["messages"] as! [[String: Any]]
        // Recompute PDD, setup and duration of one call from the truth's HEP timestamps.
        let rows = truth.filter { $0["call_id"] as? String == "udp-basic-1-641@127.0.0.1" }
        func time(_ label: String) -> Int64 {
            let row = rows.first { ($0["method"] as? String ?? String($0["status"] as? Int ?? 0)) == label }!
            let parts = (row["hep_ts"] as! String).split(separator: ".")
            return Int64(parts[0])! * 1_000_000_000 + Int64(parts[1])! * 1000
        }
        let call = store.calls.first { name(store, $0) == "udp-basic-1-641@127.0.0.1" }!
        #expect(call.postDialDelay == time("180") - time("INVITE"))
        #expect(call.setupTime == time("200") - time("INVITE"))
        #expect(call.duration == time("BYE") - time("200"))
    }

    @Test func percentilesAreOrderedAndCloseToTheTrueValues() {
        let store = load("hep-kamailio-udp.pcap")
        let group = store.groups[store.orderedGroups[0]]
        let pdds = calls(store, group).compactMap(\.postDialDelay).sorted()
        let h = group.statistics.postDialDelay
        #expect(h.count == pdds.count)
        #expect(h.maximum == pdds.last)
        let p50 = h.percentile(0.5)!, p95 = h.percentile(0.95)!
        #expect(p50 <= p95 && p95 <= h.maximum)
        let trueP50 = pdds[(pdds.count + 1) / 2 - 1]
        #expect(abs(Double(p50 - trueP50)) <= Double(trueP50) * 0.01)
    }

    @Test func plainCapturesAreUncorrelated() {
        let udp = load("sip-plain-udp.pcap")
        #expect(udp.orderedGroups.count == 1)
        let g = udp.groups[udp.orderedGroups[0]]
        #expect(g.source == .none && g.calls.count == 40)
        // Both legs of each call through the proxy share the Call-ID: one call each.
        #expect(g.statistics.count(.completed) == 30 && g.statistics.count(.busy) == 10)
        let tcp = load("sip-plain-tcp.pcap")
        #expect(tcp.groups[tcp.orderedGroups[0]].calls.count == 20)
        #expect(tcp.groups[tcp.orderedGroups[0]].statistics.count(.completed) == 20)
    }

    @Test func transactionsAndDialogsOfABusyCallOnTheWire() {
        let store = load("sip-plain-udp.pcap")
        let index = Int32(store.calls.firstIndex { name(store, $0) == "udp-busy-1-642@127.0.0.1" }!)
        let call = store.calls[Int(index)]
        // Two INVITE transactions (one per proxy leg); each leg's ACK of the 486 joins its
        // INVITE's transaction, so there are exactly two.
        #expect(call.transactionCount == 2)
        #expect(store.transactions(of: index).count == 2)
        #expect(store.transactions(of: index).allSatisfy { $0.method == .invite && $0.finalStatus == 486 })
        #expect(Set(store.transactions(of: index).map(\.branch)).count == 2)
        // A proxy passes the tags through: both legs are one dialog.
        #expect(call.dialogCount == 1 && store.dialogs(of: index).count == 1)
        let acks = store.messages(of: index).map { store.messages[Int($0)] }.filter { $0.method == .ack }
        #expect(acks.count == 2)
        #expect(Set(acks.map(\.transaction)).count == 2)
    }

    @Test func modelStaysSmallPerMessage() {
        let store = load("sip-plain-udp.pcap")
        let perMessage = store.modelMemoryBytes / store.messages.count
        print("model bytes per message (590-message capture): \(perMessage)")
        // Payloads stay in the mapped file: only the index is counted.
        #expect(perMessage < 400)
        #expect(store.messages.allSatisfy { $0.payload.source == 1 })
    }
}
