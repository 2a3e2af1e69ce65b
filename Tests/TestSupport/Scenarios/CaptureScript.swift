import WireDecoding

/// Parses "192.0.2.10" into an endpoint; scenarios only use IPv4 literals they write themselves.
func ipv4(_ dotted: String, _ port: UInt16) -> Endpoint {
    let parts = dotted.split(separator: ".").compactMap { UInt32($0) }
    precondition(parts.count == 4 && parts.allSatisfy { $0 < 256 }, "not an IPv4 address: \(dotted)")
    return Endpoint(address: .v4(parts.reduce(0) { $0 << 8 | $1 }), port: port)
}

/// A HEP sender: where its packets come from and what it stamps on them.
struct CaptureAgent: Sendable {
    var captureID: UInt32
    var node: String?
    /// Outer source of the HEP datagrams.
    var address: Endpoint
    /// How much later than the message's time this agent sees it.
    var delayMs: Int = 0

    /// Kamailio's siptrace with the default `hep_capture_id` and no node name.
    static let kamailio = CaptureAgent(captureID: 1, node: nil, address: ipv4("192.0.2.1", 5060))
}

/// Collects what happens in a scenario (SIP messages with their sightings, HEP events) and turns
/// it into a pcap plus the matching expectations, so the facts are read from the same data that
/// made the bytes.
struct CaptureScript {
    /// 2027-01-15 08:00:00 UTC: a fixed, recognisable time zero for every scenario.
    static let epochSeconds: Int64 = 1_800_000_000
    static let collector = ipv4("198.51.100.100", 9060)

    let start = Timestamp(seconds: CaptureScript.epochSeconds, nanoseconds: 0)
    /// SIP inside HEPv3 to the collector when true; plain SIP over UDP otherwise.
    let hep: Bool

    private var messages: [Draft] = []
    private var events: [EventDraft] = []
    private var records: [Record] = []

    init(hep: Bool) { self.hep = hep }

    private struct Draft {
        var sip: SIPMessage
        var from: Endpoint
        var to: Endpoint
        var atMs: Int
        var correlation: String?
        var sightings: [(agent: CaptureAgent, records: [Int])]
    }

    private struct EventDraft {
        var payloadType: UInt8
        var text: String
        var from: Endpoint
        var to: Endpoint
        var atMs: Int
        var correlation: String?
        var agent: CaptureAgent
        var attachesTo: ExpectedEvent.Attachment
        var record: Int
    }

    private struct Record {
        var frame: [UInt8]
        var atMs: Int
        /// File-order class: lower ranks are written first, whatever their time.
        var rank: Int
        /// Insertion order of the original record; a written-again copy shares it.
        var sequence: Int
        var copy: Int
    }

    func time(_ ms: Int) -> Timestamp { Timestamp(nanoseconds: start.nanoseconds + Int64(ms) * 1_000_000) }

    // MARK: recording

    /// One SIP message sent at `ms`, seen by each of `agents` (`delayMs` later). `rank` changes
    /// only where the message lands in the file.
    @discardableResult
    mutating func send(_ sip: SIPMessage, from: Endpoint, to: Endpoint, at ms: Int, correlation: String? = nil,
                       agents: [CaptureAgent] = [.kamailio], rank: Int = 0) -> Int {
        precondition(hep || (agents.count == 1 && correlation == nil), "plain SIP has one capture point and no correlation id")
        var draft = Draft(sip: sip, from: from, to: to, atMs: ms, correlation: correlation, sightings: [])
        for agent in agents {
            let when = ms + agent.delayMs
            let payload = sip.bytes
            let frame: [UInt8]
            if hep {
                let packet = HEPBuilder.sip(payload, from: from, to: to, time: time(when), captureID: agent.captureID,
                                            correlationID: correlation, nodeName: agent.node)
                frame = FrameBuilder.udp(from: agent.address, to: Self.collector, payload: packet)
            } else {
                frame = FrameBuilder.udp(from: from, to: to, payload: payload)
            }
            records.append(Record(frame: frame, atMs: when, rank: rank, sequence: records.count, copy: 0))
            draft.sightings.append((agent, [records.count - 1]))
        }
        messages.append(draft)
        return messages.count - 1
    }

    /// Writes a record of message `index` a second time, right after the first: the same capture
    /// id, time and bytes, as when one HEP stream is recorded twice or two captures are merged.
    mutating func writeAgain(message index: Int, sighting: Int = 0) {
        let original = messages[index].sightings[sighting].records[0]
        var copy = records[original]
        copy.copy = messages[index].sightings[sighting].records.count
        records.append(copy)
        messages[index].sightings[sighting].records.append(records.count - 1)
    }

    /// A non-SIP HEP payload (type 100 log, type 5 RTCP-JSON ...).
    mutating func event(_ payloadType: UInt8, _ text: String, from: Endpoint, to: Endpoint, at ms: Int,
                        correlation: String?, agent: CaptureAgent, attachesTo: ExpectedEvent.Attachment) {
        precondition(hep, "events only travel in HEP")
        let packet = HEPBuilder.sip(Array(text.utf8), from: from, to: to, time: time(ms), captureID: agent.captureID,
                                    correlationID: correlation, payloadType: payloadType, nodeName: agent.node)
        let frame = FrameBuilder.udp(from: agent.address, to: Self.collector, payload: packet)
        records.append(Record(frame: frame, atMs: ms, rank: 0, sequence: records.count, copy: 0))
        events.append(EventDraft(payloadType: payloadType, text: text, from: from, to: to, atMs: ms,
                                 correlation: correlation, agent: agent, attachesTo: attachesTo,
                                 record: records.count - 1))
    }

    // MARK: output

    /// Writes the records (by rank, then time, then insertion) and resolves frame numbers.
    func finish() -> FinishedScript {
        let order = records.indices.sorted { a, b in
            let x = records[a], y = records[b]
            return (x.rank, x.atMs, x.sequence, x.copy) < (y.rank, y.atMs, y.sequence, y.copy)
        }
        var frameOf = [Int](repeating: 0, count: records.count)
        var writer = PcapWriter()
        for (i, r) in order.enumerated() {
            frameOf[r] = i + 1
            writer.append(records[r].frame, time: time(records[r].atMs))
        }
        let expected = messages.map { d in
            let sightings = d.sightings.map { s in
                ExpectedSighting(captureID: hep ? s.agent.captureID : nil, node: hep ? s.agent.node : nil,
                                 time: time(d.atMs + s.agent.delayMs), offsetMs: d.atMs + s.agent.delayMs,
                                 frames: s.records.map { frameOf[$0] }.sorted())
            }.sorted { $0.offsetMs < $1.offsetMs }
            return ExpectedMessage(sip: d.sip, source: d.from, destination: d.to, correlationID: d.correlation,
                                   time: time(d.atMs), offsetMs: d.atMs, sightings: sightings, retransmissionOf: nil)
        }
        let expectedEvents = events.map { e in
            ExpectedEvent(payloadType: e.payloadType, correlationID: e.correlation, text: e.text, source: e.from,
                          destination: e.to, captureID: e.agent.captureID, time: time(e.atMs), offsetMs: e.atMs,
                          frame: frameOf[e.record], attachesTo: e.attachesTo)
        }
        return FinishedScript(pcap: writer.bytes, start: start, hep: hep, frameCount: records.count,
                              messages: expected, events: expectedEvents)
    }
}

/// A finished script: the pcap and the raw expectations, from which scenarios assemble calls.
struct FinishedScript {
    var pcap: [UInt8]
    var start: Timestamp
    var hep: Bool
    var frameCount: Int
    var messages: [ExpectedMessage]
    var events: [ExpectedEvent]

    /// The messages of one call by time (ties keep the order they were scripted in), with
    /// retransmissions resolved: same bytes between the same endpoints as an earlier message.
    func messages(callID: String, correlation: String?) -> [ExpectedMessage] {
        var list = messages.enumerated()
            .filter { $0.element.callID == callID && $0.element.correlationID == correlation }
            .sorted { ($0.element.offsetMs, $0.offset) < ($1.element.offsetMs, $1.offset) }
            .map(\.element)
        for i in list.indices {
            list[i].retransmissionOf = list[..<i].firstIndex {
                $0.sip == list[i].sip && $0.source == list[i].source && $0.destination == list[i].destination
            }
        }
        return list
    }

    func call(_ callID: String, correlation: String? = nil, state: ExpectedCallState, finalStatus: Int?,
              dialogs: [String], timings: ExpectedTimings = .none, notes: [String] = []) -> ExpectedCall {
        let list = messages(callID: callID, correlation: correlation)
        precondition(!list.isEmpty, "no messages for \(callID)")
        return ExpectedCall(callID: callID, correlationID: correlation, state: state, finalStatus: finalStatus,
                            dialogs: dialogs, timings: timings, messages: list,
                            events: events.filter { $0.attachesTo == .call(callID) }, notes: notes)
    }

    func group(_ correlation: String?, _ calls: [ExpectedCall]) -> ExpectedGroup {
        ExpectedGroup(correlationID: correlation, calls: calls,
                      events: events.filter { $0.attachesTo == .group(correlation) })
    }

    func scenario(_ name: String, _ summary: String, groups: [ExpectedGroup],
                  links: [ExpectedLink] = []) -> ScenarioCapture {
        let sip = messages.reduce(0) { $0 + $1.frames.count }
        let placed = groups.flatMap(\.calls).reduce(0) { $0 + $1.records }
        precondition(placed == sip, "\(name): \(sip - placed) SIP records belong to no expected call")
        let placedEvents = groups.reduce(0) { $0 + $1.events.count + $1.calls.reduce(0) { $0 + $1.events.count } }
        precondition(placedEvents == events.count, "\(name): events not attached to any group or call")
        return ScenarioCapture(name: name, summary: summary, pcap: pcap, start: start, frameCount: frameCount,
                               sipRecords: sip, eventRecords: events.count, usesHEP: hep, groups: groups,
                               links: links)
    }
}
