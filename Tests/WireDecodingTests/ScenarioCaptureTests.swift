import Foundation
import Testing
import TestSupport
import WireDecoding

/// The synthetic scenario captures decode cleanly, and what their descriptions promise (counts,
/// Call-IDs, correlation ids, frames, sightings, timings, dialogs, link headers) is what the
/// decoder actually finds in the bytes.
@Suite struct ScenarioCaptureTests {
    /// One decoded SIP message or event, copied out of the input buffer.
    struct Decoded {
        var frame: Int
        var time: Timestamp
        var source: Endpoint
        var destination: Endpoint
        var payloadType: UInt8
        var payload: [UInt8]
        var hepVersion: UInt8?
        var captureID: UInt32?
        var node: String?
        var correlation: String?
        var isRequest = false
        var label: String?
        var status: Int?
        var callID: String?
        var cseq: String?
        var cseqMethod: String?
        var branch: String?
        var toTag: String?
        var xCallID: String?
        var sessionID: String?
        var icid: String?
        var contentLength: Int?
        var bodyLength = 0

        var isSIP: Bool { callID != nil }
        var text: String { String(decoding: payload, as: UTF8.self) }

        init(_ m: DecodedMessage) {
            let p = m.payload
            frame = m.frameNumber
            time = m.timestamp
            source = m.source
            destination = m.destination
            payloadType = m.payloadType
            payload = Array(p)
            hepVersion = m.hep?.version
            captureID = m.hep?.captureID
            node = m.hep?.nodeName.map { String(decoding: $0, as: UTF8.self) }
            correlation = m.hep?.correlationID.map { String(decoding: $0, as: UTF8.self) }
            guard let sip = m.sip else { return }
            isRequest = sip.isRequest
            switch sip.startLine {
            case .request(_, let range, _): label = p.text(range)
            case .response(let s, _): status = Int(s); label = String(s)
            }
            callID = p.text(sip.callID)
            cseqMethod = p.text(sip.cseqMethod)
            cseq = sip.cseqNumber.map { "\($0) \(cseqMethod ?? "")" }
            branch = p.text(sip.viaBranch)
            toTag = p.text(sip.toTag(in: p))
            xCallID = p.text(sip.xCallID)
            sessionID = p.text(sip.sessionID)
            icid = p.text(sip.icidValue)
            contentLength = sip.contentLength
            bodyLength = sip.length - sip.bodyStart
        }
    }

    struct Outcome {
        var records: [Decoded]
        var counters: DecodeCounters
        var frames: [(number: Int, time: Timestamp)]
        var warnings: [String]

        var sip: [Decoded] { records.filter(\.isSIP) }
        var events: [Decoded] { records.filter { !$0.isSIP } }
        func at(frame: Int) -> [Decoded] { records.filter { $0.frame == frame } }
        func call(_ id: String, _ correlation: String?) -> [Decoded] {
            sip.filter { $0.callID == id && $0.correlation == correlation }.sorted { ($0.time, $0.frame) < ($1.time, $1.frame) }
        }
    }

    static func decode(_ pcap: [UInt8]) throws -> Outcome {
        let decoder = TraceDecoder()
        var records: [Decoded] = []
        var frames: [(Int, Timestamp)] = []
        var warnings: [String] = []
        try pcap.withUnsafeBytes { bytes in
            var reader = try CaptureFileReader(bytes)
            while let frame = reader.next() {
                frames.append((frame.frameNumber, frame.timestamp))
                decoder.decode(frame: frame) { records.append(Decoded($0)) }
            }
            decoder.finish { records.append(Decoded($0)) }
            warnings = reader.warnings
        }
        return Outcome(records: records, counters: decoder.counters, frames: frames, warnings: warnings)
    }

    // MARK: every scenario

    @Test(arguments: Scenarios.all())
    func decodesCleanlyWithTheDescribedCounts(_ s: ScenarioCapture) throws {
        let out = try Self.decode(s.pcap)
        #expect(out.warnings.isEmpty)
        #expect(out.frames.count == s.frameCount)
        #expect(out.counters.packets == s.frameCount)
        #expect(out.counters.malformed == 0, "\(out.counters.malformedReasons)")
        #expect(out.counters.ignored == 0)
        #expect(out.counters.sipMessages == s.sipRecords)
        #expect(out.counters.otherEvents == s.eventRecords)
        #expect(out.counters.hepByVersion == [0, 0, 0, s.usesHEP ? s.frameCount : 0])
        #expect(out.sip.count == s.sipRecords)
        #expect(out.events.count == s.eventRecords)
        #expect(Set(out.sip.compactMap(\.callID)) == s.callIDs)
        #expect(Set(out.records.compactMap(\.correlation)) == s.correlationIDs)
        #expect(out.records.allSatisfy { $0.hepVersion == (s.usesHEP ? 3 : nil) })
        // Every frame carries exactly one described message or event.
        let described = s.calls.flatMap { $0.messages.flatMap(\.frames) } + s.events.map(\.frame)
        #expect(described.sorted() == Array(1...s.frameCount))
        #expect(out.records.map(\.frame).sorted() == Array(1...s.frameCount))
        for call in s.calls {
            #expect(out.call(call.callID, call.correlationID).count == call.records, "\(call.callID)")
        }
        // Content-Length is right on every message (the builder computes it).
        for r in out.sip {
            #expect(r.contentLength == r.bodyLength, "frame \(r.frame)")
        }
    }

    @Test(arguments: Scenarios.all())
    func everyDescribedSightingIsInItsFrame(_ s: ScenarioCapture) throws {
        let out = try Self.decode(s.pcap)
        for call in s.calls {
            for m in call.messages {
                #expect(m.callID == call.callID)
                #expect(m.correlationID == call.correlationID)
                for sighting in m.sightings {
                    for frame in sighting.frames {
                        let found = out.at(frame: frame)
                        #expect(found.count == 1, "frame \(frame)")
                        guard let r = found.first else { continue }
                        #expect(r.payload == m.sip.bytes, "frame \(frame)")
                        #expect(r.label == m.label)
                        #expect(r.cseq == m.cseq)
                        #expect(r.callID == call.callID)
                        #expect(r.correlation == m.correlationID)
                        #expect(r.time == sighting.time)
                        #expect(r.time == Timestamp(nanoseconds: s.start.nanoseconds + Int64(sighting.offsetMs) * 1_000_000))
                        #expect(r.source == m.source)
                        #expect(r.destination == m.destination)
                        #expect(r.captureID == sighting.captureID)
                        #expect(r.node == sighting.node)
                        #expect(r.branch == m.branch)
                        #expect(r.toTag == m.toTag)
                    }
                }
            }
            #expect(call.messages.map(\.offsetMs) == call.messages.map(\.offsetMs).sorted())
        }
        for e in s.events {
            let found = out.at(frame: e.frame)
            #expect(found.count == 1)
            guard let r = found.first else { continue }
            #expect(!r.isSIP)
            #expect(r.payloadType == e.payloadType)
            #expect(r.correlation == e.correlationID)
            #expect(r.text == e.text)
            #expect(r.time == e.time)
            #expect(r.source == e.source)
            #expect(r.destination == e.destination)
            #expect(r.captureID == e.captureID)
        }
    }

    /// Timings, final status and dialogs as documented, recomputed from the decoded records.
    @Test(arguments: Scenarios.all())
    func documentedOutcomesMatchTheDecodedMessages(_ s: ScenarioCapture) throws {
        let out = try Self.decode(s.pcap)
        for call in s.calls {
            let records = out.call(call.callID, call.correlationID)
            func first(_ match: (Decoded) -> Bool) -> Timestamp? { records.first(where: match)?.time }
            func ms(_ a: Timestamp?, _ b: Timestamp?) -> Int? {
                guard let a, let b else { return nil }
                return Int((b.nanoseconds - a.nanoseconds) / 1_000_000)
            }
            let invite = first { $0.label == "INVITE" }
            let ringing = first { ($0.status ?? 0) >= 180 && ($0.status ?? 0) < 190 && $0.cseqMethod == "INVITE" }
            let answered = first { ($0.status ?? 0) / 100 == 2 && $0.cseqMethod == "INVITE" }
            let bye = first { $0.label == "BYE" }
            #expect(ms(invite, ringing) == call.timings.pddMs, "\(call.callID) PDD")
            #expect(ms(invite, answered) == call.timings.setupMs, "\(call.callID) set-up")
            #expect(ms(answered, bye) == call.timings.durationMs, "\(call.callID) duration")

            let initial = records.first { $0.isRequest }?.label
            let finals = records.filter { ($0.status ?? 0) >= 200 && $0.cseqMethod == initial }.compactMap(\.status)
            #expect((finals.first { $0 / 100 == 2 } ?? finals.last) == call.finalStatus, "\(call.callID) final")

            var tags: [String] = []
            for r in records where initial == "INVITE" && r.cseqMethod == "INVITE" && (r.status ?? 0) > 100
                && (r.status ?? 0) < 300 {
                if let t = r.toTag, !tags.contains(t) { tags.append(t) }
            }
            #expect(tags == call.dialogs, "\(call.callID) dialogs")
            #expect(call.ladder == call.messages.map(\.label))
        }
    }

    @Test func writesScenarioFilesForTheCommandLine() throws {
        // Names of our own, removed afterwards: command-line tests may be using the usual ones.
        for scenario in Scenarios.all() {
            let url = try Scenarios.write(scenario.pcap, name: "write-check-\(scenario.name).pcap")
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(url.deletingLastPathComponent().path == Scenarios.outputFolder.path)
            #expect(url.lastPathComponent == "write-check-\(scenario.name).pcap")
            #expect(try [UInt8](Data(contentsOf: url)) == scenario.pcap)
        }
    }

    @Test func scenariosAreDeterministic() {
        #expect(Scenarios.all().map(\.pcap) == Scenarios.all().map(\.pcap))
        #expect(Set(Scenarios.all().map(\.name)).count == 11)
    }

    // MARK: scenario by scenario

    @Test func xcidChainLinksEachLegToItsParent() throws {
        let s = Scenarios.xcidChain()
        let ids = Scenarios.xcidChainCallIDs
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 21)
        #expect(s.groups.count == 1 && s.groups[0].correlationID == nil && s.calls.count == 3)
        #expect(s.links == [ExpectedLink(linkedBy: "X-CID", callIDs: ids, values: [ids[0], ids[1]])])
        let tagged = out.sip.filter { $0.xCallID != nil }
        #expect(tagged.map(\.label) == ["INVITE", "INVITE"])
        #expect(tagged.map(\.callID) == [ids[1], ids[2]])
        #expect(tagged.map(\.xCallID) == [ids[0], ids[1]])
        #expect(s.calls.allSatisfy { $0.state == .completed && $0.ladder == ["INVITE", "100", "180", "200", "ACK", "BYE", "200"] })
        #expect(s.calls.map(\.timings) == [
            ExpectedTimings(pddMs: 124, setupMs: 1128, durationMs: 3002),
            ExpectedTimings(pddMs: 118, setupMs: 1120, durationMs: 3010),
            ExpectedTimings(pddMs: 112, setupMs: 1112, durationMs: 3018),
        ])
        // Written in time order.
        #expect(out.frames.map(\.time) == out.frames.map(\.time).sorted())
    }

    @Test func outOfOrderLinksAreWrittenLegCFirst() throws {
        let s = Scenarios.outOfOrderLinks()
        let ids = Scenarios.outOfOrderCallIDs
        let out = try Self.decode(s.pcap)
        try #require(out.sip.count == 21)
        #expect(out.sip[0..<7].allSatisfy { $0.callID == ids[2] })
        #expect(out.sip[7..<14].allSatisfy { $0.callID == ids[1] })
        #expect(out.sip[14..<21].allSatisfy { $0.callID == ids[0] })
        #expect(s.call(ids[2])?.messages.flatMap(\.frames) == Array(1...7))
        #expect(s.call(ids[0])?.messages.flatMap(\.frames) == Array(15...21))
        #expect(out.frames.map(\.time) != out.frames.map(\.time).sorted())
        // Within each leg the times still run forward.
        for id in ids {
            let times = out.sip.filter { $0.callID == id }.map(\.time)
            #expect(times == times.sorted())
        }
        #expect(out.sip.filter { $0.xCallID != nil }.map(\.xCallID) == [ids[1], ids[0]])
        #expect(s.links == [ExpectedLink(linkedBy: "X-CID", callIDs: ids, values: [ids[0], ids[1]])])
    }

    @Test func sessionIDAndICIDPairsShareOnlyTheirHeader() throws {
        let s = Scenarios.sessionIDAndICID()
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 28 && s.calls.count == 4)
        let uuids: Set<String> = [Scenarios.sessionIDCaller, Scenarios.sessionIDCallee]
        for id in Scenarios.sessionIDCallIDs {
            let records = out.sip.filter { $0.callID == id }
            #expect(records.count == 7)
            #expect(records.allSatisfy { $0.sessionID.map(uuids.contains) == true && $0.icid == nil && $0.xCallID == nil })
            #expect(records.first?.sessionID == Scenarios.sessionIDCaller)
        }
        for id in Scenarios.icidCallIDs {
            let records = out.sip.filter { $0.callID == id }
            #expect(records.count == 7)
            #expect(records.allSatisfy { $0.icid == Scenarios.icidValue && $0.sessionID == nil && $0.xCallID == nil })
        }
        #expect(s.links.map(\.linkedBy) == ["Session-ID", "P-Charging-Vector"])
        #expect(s.links.map(\.callIDs) == [Scenarios.sessionIDCallIDs, Scenarios.icidCallIDs])
    }

    @Test func duplicateSightingsComeFromTwoAgentsThreeMillisecondsApart() throws {
        let s = Scenarios.duplicateSightings()
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 15 && s.groups.map(\.correlationID) == ["dup-run"])
        let call = try #require(s.call(Scenarios.duplicateCallID))
        #expect(call.messages.count == 7)
        #expect(call.sightings == 14 && call.records == 15 && call.exactDuplicates == 1 && call.retransmissions == 0)
        for m in call.messages {
            #expect(m.sightings.map(\.captureID) == [1, 2])
            #expect(m.sightings.map(\.node) == ["edge", "core"])
            #expect(m.hopDelayMs == 3)
        }
        #expect(call.messages[2].label == "180" && call.messages[2].frames == [5, 6, 7])
        let five = out.at(frame: 5)[0], six = out.at(frame: 6)[0]
        #expect(five.payload == six.payload && five.time == six.time && five.captureID == six.captureID)
        #expect(out.sip.allSatisfy { $0.correlation == "dup-run" })
        #expect(Set(out.sip.map(\.node)) == ["edge", "core"])
    }

    @Test func forkedInviteHasTwoDialogsAndCancelsTheLosingBranch() throws {
        let s = Scenarios.forkedInvite()
        let out = try Self.decode(s.pcap)
        let call = try #require(s.call(Scenarios.forkCallID))
        #expect(s.frameCount == 22 && s.calls.count == 1)
        #expect(call.dialogs.count == 2 && call.state == .completed && call.finalStatus == 200)
        #expect(call.ladder == ["INVITE", "100", "INVITE", "INVITE", "100", "100", "180", "180", "180", "180", "200",
                                "200", "CANCEL", "ACK", "200", "ACK", "487", "ACK", "BYE", "BYE", "200", "200"])
        let ringing = out.sip.filter { $0.status == 180 }
        #expect(Set(ringing.compactMap(\.toTag)) == Set(call.dialogs))
        let loser = call.dialogs[1]
        let forkToMobile = try #require(out.sip.first { $0.label == "INVITE" && $0.destination.port == 5060
                && $0.destination.address.description == "192.0.2.21" })
        let cancel = try #require(out.sip.first { $0.label == "CANCEL" })
        let ack487 = try #require(out.sip.first { $0.label == "ACK" && $0.toTag == loser })
        #expect(cancel.branch == forkToMobile.branch && ack487.branch == forkToMobile.branch)
        #expect(out.sip.first { $0.status == 487 }?.toTag == loser)
        #expect(call.retransmissions == 0)
    }

    @Test func cancelledCallReusesTheInviteBranch() throws {
        let s = Scenarios.cancelledCall()
        let out = try Self.decode(s.pcap)
        let call = try #require(s.call(Scenarios.cancelCallID))
        #expect(s.frameCount == 7)
        #expect(call.state == .cancelled && call.finalStatus == 487)
        #expect(call.ladder == ["INVITE", "100", "180", "CANCEL", "200", "487", "ACK"])
        let invite = out.sip[0], cancel = out.sip[3], ok = out.sip[4], ack = out.sip[6]
        #expect(cancel.branch == invite.branch && ack.branch == invite.branch)
        #expect(cancel.cseq == "1 CANCEL" && ok.cseq == "1 CANCEL" && ack.cseq == "1 ACK")
        #expect(ack.toTag == out.sip[5].toTag && ack.toTag == call.dialogs.first)
    }

    @Test func hlogEventsAreCorrelatedByRunAndByCallID() throws {
        let s = Scenarios.hlogEvents()
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 12 && s.sipRecords == 7 && s.eventRecords == 5)
        #expect(s.groups.map(\.correlationID) == ["log-run"])
        #expect(s.groups[0].events.count == 3)
        let call = try #require(s.call(Scenarios.hlogCallID))
        #expect(call.events.map(\.payloadType) == [100, 5])
        #expect(call.events.allSatisfy { $0.correlationID == Scenarios.hlogCallID && $0.attachesTo == .call(Scenarios.hlogCallID) })
        #expect(out.events.map(\.payloadType) == [100, 100, 100, 5, 100])
        #expect(out.events.map(\.correlation) == ["log-run", "log-run", Scenarios.hlogCallID, Scenarios.hlogCallID, "log-run"])
        #expect(out.sip.allSatisfy { $0.correlation == "log-run" })
        let json = try JSONSerialization.jsonObject(with: Data(out.events[3].payload)) as? [String: Any]
        #expect(json?["type"] as? Int == 200)
    }

    @Test func retransmissionsAreIdenticalBytes() throws {
        let s = Scenarios.retransmissions()
        let out = try Self.decode(s.pcap)
        let call = try #require(s.call(Scenarios.retransmissionCallID))
        #expect(s.frameCount == 10)
        #expect(call.messages.count == 10 && call.retransmissions == 3)
        #expect(call.messages.map(\.retransmissionOf) == [nil, 0, 0, nil, nil, nil, 5, nil, nil, nil])
        #expect(call.messages.filter(\.isRetransmission).map(\.offsetMs) == [500, 1500, 3120])
        #expect(out.sip[0].payload == out.sip[1].payload && out.sip[1].payload == out.sip[2].payload)
        #expect(out.sip[5].payload == out.sip[6].payload)
        #expect(Set(out.sip.map(\.payload)).count == 7)
    }

    @Test func registerOptionsAndMessageEndAsDescribed() throws {
        let s = Scenarios.registerAndOptions()
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 8)
        #expect(s.calls.map(\.callID) == [Scenarios.registerCallID, Scenarios.optionsCallID, Scenarios.messageCallID])
        #expect(s.calls.map(\.state) == [.completed, .completed, .rejected])
        #expect(s.calls.map(\.finalStatus) == [200, 200, 404])
        #expect(out.call(Scenarios.registerCallID, nil).map(\.cseq) == ["1 REGISTER", "1 REGISTER", "2 REGISTER", "2 REGISTER"])
        #expect(out.call(Scenarios.registerCallID, nil).map(\.label) == ["REGISTER", "401", "REGISTER", "200"])
        #expect(out.call(Scenarios.optionsCallID, nil).map(\.label) == ["OPTIONS", "200"])
        #expect(out.call(Scenarios.messageCallID, nil).map(\.label) == ["MESSAGE", "404"])
    }

    @Test func callStatesCoverEveryEnding() throws {
        let s = Scenarios.callStates()
        #expect(s.frameCount == 24)
        #expect(s.calls.map(\.callID) == Scenarios.callStateCallIDs.map(\.callID))
        #expect(s.calls.map(\.state) == [.busy, .rejected, .failed, .diverted, .inCall, .ringing, .calling])
        #expect(s.calls.map(\.finalStatus) == [486, 403, 503, 302, 200, nil, nil])
        #expect(s.calls.map(\.ladder) == [
            ["INVITE", "100", "486", "ACK"], ["INVITE", "403", "ACK"], ["INVITE", "100", "503", "ACK"],
            ["INVITE", "100", "302", "ACK"], ["INVITE", "100", "180", "200", "ACK"], ["INVITE", "100", "180"],
            ["INVITE"],
        ])
        // Non-2xx ACKs belong to the INVITE transaction.
        for call in s.calls where call.messages.last?.label == "ACK" && call.state != .inCall {
            #expect(call.messages.last?.branch == call.messages.first?.branch)
        }
    }

    @Test func reusedCallIDMakesTwoGroups() throws {
        let s = Scenarios.reusedCallIDAcrossSessions()
        let out = try Self.decode(s.pcap)
        #expect(s.frameCount == 14)
        #expect(s.groups.map(\.correlationID) == ["run-1", "run-2"])
        #expect(s.groups.allSatisfy { $0.calls.count == 1 && $0.calls[0].callID == Scenarios.reusedCallID })
        let one = out.call(Scenarios.reusedCallID, "run-1"), two = out.call(Scenarios.reusedCallID, "run-2")
        #expect(one.count == 7 && two.count == 7)
        #expect(one.map(\.payload) == two.map(\.payload))
        #expect(zip(one, two).allSatisfy { $1.time.nanoseconds - $0.time.nanoseconds == 10_000_000_000 })
        #expect(s.calls.allSatisfy { $0.retransmissions == 0 })
    }
}
