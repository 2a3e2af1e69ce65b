import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// The model against synthetic captures whose every fact is known: links three legs deep,
/// out-of-order arrival, sightings at two capture points, forks, CANCEL, retransmissions,
/// hlog events, reused Call-IDs, and every call state.
@Suite struct ScenarioModelTests {
    static let scenarios = Scenarios.all()

    func load(_ scenario: ScenarioCapture) throws -> TraceStore {
        let url = try Scenarios.write(scenario)
        var load = TraceLoad()
        load.load(path: url.path)
        #expect(load.failures.isEmpty)
        return load.store
    }

    func call(_ store: TraceStore, _ expected: ExpectedCall) -> (Int32, Call)? {
        for (i, c) in store.calls.enumerated() where store.strings.string(c.callID) == expected.callID {
            let corr = c.hepCorrelation == 0 ? nil : store.strings.string(c.hepCorrelation)
            if corr == expected.correlationID { return (Int32(i), c) }
        }
        return nil
    }

    func ms(_ ns: Int64?) -> Int? { ns.map { Int($0 / 1_000_000) } }

    @Test(arguments: scenarios)
    func everyCallComesOutAsExpected(_ scenario: ScenarioCapture) throws {
        let store = try load(scenario)
        #expect(store.calls.count == scenario.calls.count)
        for expected in scenario.calls {
            guard let (index, c) = call(store, expected) else {
                Issue.record("\(scenario.name): no call \(expected.callID) in \(expected.correlationID ?? "-")")
                continue
            }
            let what = "\(scenario.name) \(expected.callID)"
            #expect(c.state.name == expected.state.rawValue, "\(what)")
            #expect((c.finalStatus == 0 ? nil : Int(c.finalStatus)) == expected.finalStatus, "\(what)")
            #expect(c.dialogCount == expected.dialogs.count, "\(what)")
            #expect(store.dialogs(of: index).count == expected.dialogs.count, "\(what)")
            #expect(Set(store.dialogs(of: index).map(\.toTag)).count == expected.dialogs.count, "\(what): distinct To tags")
            #expect(ms(c.postDialDelay) == expected.timings.pddMs, "\(what) PDD")
            #expect(ms(c.setupTime) == expected.timings.setupMs, "\(what) setup")
            #expect(ms(c.duration) == expected.timings.durationMs, "\(what) duration")
            #expect(Int(c.messageCount) == expected.messages.count, "\(what)")
            #expect(Int(c.retransmissions) == expected.retransmissions, "\(what)")
            let labels = store.orderedMessages(of: index).map { m in
                store.methodName(m) ?? String(store.messages[Int(m)].status)
            }
            #expect(labels == expected.ladder, "\(what)")
            #expect(store.events(of: index).count == expected.events.count, "\(what) events")
            // Sightings and hop delays, message by message.
            for (m, e) in zip(store.orderedMessages(of: index), expected.messages) {
                let sightings = store.sightings(of: m)
                #expect(sightings.count == e.sightings.count - 1, "\(what) \(e.label)")
                if let hop = e.hopDelayMs { #expect(sightings.last.map { Int($0.delay / 1_000_000) } == hop) }
                #expect(store.messages[Int(m)].isRetransmission == e.isRetransmission, "\(what) \(e.label)")
            }
        }
        #expect(store.counters.exactDuplicates == scenario.calls.reduce(0) { $0 + $1.exactDuplicates })
        #expect(store.counters.sightings == scenario.calls.reduce(0) { $0 + $1.sightings - $1.messages.count })
        #expect(store.counters.retransmissions == scenario.calls.reduce(0) { $0 + $1.retransmissions })
    }

    @Test(arguments: scenarios.filter { !$0.links.isEmpty })
    func linkedLegsFormOneGroupNamedAfterTheALeg(_ scenario: ScenarioCapture) throws {
        let store = try load(scenario)
        let groups = store.orderedGroups.map { store.groups[$0] }
        #expect(groups.count == scenario.links.count)
        for link in scenario.links {
            let group = groups.first { g in
                Set(g.calls.map { store.strings.string(store.calls[Int($0)].callID) }) == Set(link.callIDs)
            }
            guard let group else { Issue.record("\(scenario.name): legs \(link.callIDs) not in one group"); continue }
            #expect(store.sourceName(of: group) == link.linkedBy.lowercased())
            #expect(store.correlationID(of: group) == link.callIDs.first)
            // Every leg records why it was joined.
            for c in group.calls {
                #expect(store.links(of: c).allSatisfy { $0.reason.name(store.strings) == link.linkedBy })
                #expect(!store.links(of: c).isEmpty)
            }
        }
    }

    @Test func hepGroupsAndEventsFollowTheirCorrelationIDs() throws {
        for scenario in Self.scenarios where scenario.usesHEP {
            let store = try load(scenario)
            let names = store.orderedGroups.map { store.correlationID(of: store.groups[$0]) }
            #expect(names == scenario.groups.map(\.correlationID), "\(scenario.name)")
            for expected in scenario.groups {
                let g = store.groups.first { store.correlationID(of: $0) == expected.correlationID && !$0.retired }!
                let callEvents = expected.calls.reduce(0) { $0 + $1.events.count }
                #expect(g.events.count == expected.events.count + callEvents, "\(scenario.name)")
            }
        }
    }

    @Test func reusedCallIDsStayApartAcrossSessions() throws {
        let store = try load(Scenarios.reusedCallIDAcrossSessions())
        #expect(store.calls.count == 2)
        #expect(Set(store.calls.map(\.hepCorrelation)).count == 2)
        #expect(store.calls.allSatisfy { $0.messageCount == 7 })
        #expect(store.links(of: 0).isEmpty && store.links(of: 1).isEmpty)
        #expect(store.counters.exactDuplicates == 0 && store.counters.retransmissions == 0)
    }

    /// The same bytes between other addresses are the message on another hop, not the sender
    /// repeating itself; the sender's own repeat still is a retransmission.
    @Test func aMessageForwardedThroughANATIsNoRetransmission() throws {
        let url = try Scenarios.write(Scenarios.forwardedThroughNAT(), name: "forwarded-through-nat.pcap")
        var load = TraceLoad()
        load.load(path: url.path)
        let store = load.store
        #expect(store.messages.count == 4)
        #expect(store.messages.map(\.isRetransmission) == [false, false, false, true])
        #expect(store.counters.retransmissions == 1)
    }

    /// A 180 stamped before its INVITE (two capture points' clocks apart): no post-dial delay
    /// is known, rather than one of 0 counted in the session's percentiles.
    @Test func aRingStampedBeforeItsInviteGivesNoPostDialDelay() throws {
        func sip(_ firstLine: String, _ cseq: String, toTag: String? = nil) -> [UInt8] {
            Array(("\(firstLine)\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKskew1\r\nFrom: <sip:a@x>;tag=a1\r\n"
                + "To: <sip:b@x>\(toTag.map { ";tag=\($0)" } ?? "")\r\nCall-ID: skew-1@x\r\nCSeq: \(cseq)\r\nContent-Length: 0\r\n\r\n").utf8)
        }
        let a = Endpoint(address: .v4(0xc000_020a), port: 5060), b = Endpoint(address: .v4(0xc000_0214), port: 5060)
        var w = PcapWriter()
        let t0: Int64 = 1_700_000_000_000_000_000
        w.append(FrameBuilder.udp(from: b, to: a, payload: sip("SIP/2.0 180 Ringing", "1 INVITE", toTag: "b1")),
                 time: Timestamp(nanoseconds: t0))
        w.append(FrameBuilder.udp(from: a, to: b, payload: sip("INVITE sip:b@x SIP/2.0", "1 INVITE")),
                 time: Timestamp(nanoseconds: t0 + 5_000_000))
        let url = try Scenarios.write(w.bytes, name: "ring-before-invite.pcap")
        var load = TraceLoad()
        load.load(path: url.path)
        let store = load.store
        #expect(store.calls.count == 1)
        #expect(store.calls.first?.postDialDelay == nil)
        let g = try #require(store.orderedGroups.first)
        #expect(store.groups[g].statistics.postDialDelay.count == 0)
    }

    /// Failed calls and the answer-seizure ratio are about INVITEs: a MESSAGE answered 404
    /// keeps its state (rejected) but is no failed call, and with no INVITE there is no ratio.
    @Test func failuresAndASRCountInviteCallsOnly() throws {
        let store = try load(Scenarios.registerAndOptions())
        let g = try #require(store.orderedGroups.first { store.groups[$0].calls.count > 0 })
        let st = store.groups[g].statistics
        #expect(st.count(.rejected) == 1)
        #expect(st.failed == 0 && st.failuresByStatus.isEmpty)
        #expect(st.answerSeizureRatio == nil)
        // Beside INVITE calls, in one group (both captures are uncorrelated): only theirs count.
        let invitesOnly = try load(Scenarios.callStates())
        let i = try #require(invitesOnly.orderedGroups.first { invitesOnly.groups[$0].calls.count > 0 })
        var both = TraceLoad()
        both.load(paths: [try Scenarios.write(Scenarios.registerAndOptions()).path, try Scenarios.write(Scenarios.callStates()).path])
        let b = try #require(both.store.orderedGroups.first { both.store.groups[$0].calls.count > 0 })
        let mixed = both.store.groups[b].statistics
        #expect(mixed.count(.rejected) == invitesOnly.groups[i].statistics.count(.rejected) + 1)
        #expect(mixed.failed == invitesOnly.groups[i].statistics.failed)
        #expect(mixed.failuresByStatus == invitesOnly.groups[i].statistics.failuresByStatus)
        #expect(mixed.answerSeizureRatio == invitesOnly.groups[i].statistics.answerSeizureRatio)
    }

    /// A leg with no correlation id that names a session's call in X-CID joins that session,
    /// whether it arrives after that call or before it.
    @Test(arguments: [false, true])
    func aLinkedLegJoinsItsSessionWhicheverComesFirst(linkedLegFirst: Bool) throws {
        var store = TraceStore()
        let decoder = TraceDecoder()
        try Scenarios.legLinkedIntoSession(linkedLegFirst: linkedLegFirst).withUnsafeBytes { bytes in
            var reader = try CaptureFileReader(bytes)
            while let f = reader.next() { decoder.decode(frame: f) { store.add($0) } }
        }
        let groups = store.orderedGroups.filter { !store.groups[$0].calls.isEmpty }
        #expect(groups.count == 1)
        #expect(groups.first.map { store.correlationID(of: store.groups[$0]) } == "link-run")
        #expect(groups.first.map { store.groups[$0].calls.count } == 4)
    }

    @Test func linkingConvergesWhateverTheArrivalOrder() throws {
        // The chain's frames in many shuffled orders: always one group with three legs.
        let scenario = Scenarios.xcidChain()
        let frames = try scenario.pcap.withUnsafeBytes { bytes -> [(Timestamp, [UInt8])] in
            var reader = try CaptureFileReader(bytes)
            var out: [(Timestamp, [UInt8])] = []
            while let f = reader.next() { out.append((f.timestamp, Array(f.data))) }
            return out
        }
        var rng = SplitMix(seed: 7)
        for _ in 0..<25 {
            var writer = PcapWriter()
            for (t, f) in frames.shuffled(using: &rng) { writer.append(f, time: t) }
            var store = TraceStore()
            let decoder = TraceDecoder()
            try writer.bytes.withUnsafeBytes { bytes in
                var reader = try CaptureFileReader(bytes)
                while let f = reader.next() { decoder.decode(frame: f) { store.add($0) } }
            }
            let groups = store.orderedGroups
            #expect(groups.count == 1)
            #expect(store.groups[groups[0]].calls.count == 3)
            #expect(store.correlationID(of: store.groups[groups[0]]) == scenario.links[0].callIDs.first)
            #expect(store.groups[groups[0]].statistics.count(.completed) == 3)
            // The group spans its messages, whichever leg came first.
            let times = store.messages.map(\.time)
            let span = store.span(of: store.groups[groups[0]])
            #expect(span.first == times.min() && span.last == times.max())
        }
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
