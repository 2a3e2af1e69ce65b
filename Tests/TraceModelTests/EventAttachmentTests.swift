import Testing
import TraceModel
import WireDecoding

/// HEP events (logs, RTCP reports) whose correlation id is a Call-ID join that call.
@Suite struct EventAttachmentTests {
    static let agent = Endpoint(address: .v4(0x0a00_0001), port: 5060)
    static let proxy = Endpoint(address: .v4(0x0a00_0002), port: 5060)
    static let collector = Endpoint(address: .v4(0x7f00_0001), port: 9060)

    static func invite(_ callID: String) -> [UInt8] {
        Array(("INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
            + "To: <sip:b@x>\r\nCall-ID: \(callID)\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    /// The packets through the decoder into a store, in the order given.
    func load(_ packets: [[UInt8]]) -> TraceStore {
        let decoder = TraceDecoder()
        var store = TraceStore()
        for (i, p) in packets.enumerated() {
            p.withUnsafeBytes {
                decoder.decode(datagram: $0, from: Self.agent, to: Self.collector,
                               receivedAt: Timestamp(nanoseconds: Int64(i + 1) * 1_000_000_000), number: i + 1) { store.add($0) }
            }
        }
        return store
    }

    func packet(_ payload: [UInt8], type: UInt8 = HEPPayloadType.sip, correlation: String, second: Int64) -> [UInt8] {
        HEPBuilder.sip(payload, from: Self.agent, to: Self.proxy, time: Timestamp(nanoseconds: second * 1_000_000_000),
                       correlationID: correlation, payloadType: type)
    }

    /// Some agents (hep-js, Wireshark's sample) send the Call-ID as the correlation id of the
    /// call's SIP messages and of its events alike: the events join the call, before or after it.
    @Test(arguments: [false, true]) func eventsCorrelatedByTheCallsOwnIDJoinIt(eventFirst: Bool) throws {
        let id = "own-id@x"
        let sip = packet(Self.invite(id), correlation: id, second: 2)
        let log = packet(Array("log line".utf8), type: HEPPayloadType.log, correlation: id, second: eventFirst ? 1 : 3)
        let store = load(eventFirst ? [log, sip] : [sip, log])
        let call = try #require(store.calls.indices.first { store.strings.string(store.calls[$0].callID) == id })
        #expect(store.events(of: Int32(call)).count == 1)
        #expect(store.call(ofEvent: store.events(of: Int32(call)).first ?? -1) == Int32(call))
        let groups = store.orderedGroups.filter { !store.groups[$0].calls.isEmpty || !store.groups[$0].events.isEmpty }
        #expect(groups.count == 1)
        #expect(store.groups[groups[0]].events.count == 1)
    }

    /// The usual case: the call's messages carry the test session's id, the event the Call-ID.
    @Test(arguments: [false, true]) func eventsNamedByTheCallIDJoinACallOfAnotherSession(eventFirst: Bool) throws {
        let id = "leg@x"
        let sip = packet(Self.invite(id), correlation: "session-7", second: 2)
        let log = packet(Array("rtp stats".utf8), type: HEPPayloadType.rtcpJSON, correlation: id, second: eventFirst ? 1 : 3)
        let store = load(eventFirst ? [log, sip] : [sip, log])
        let call = try #require(store.calls.indices.first { store.strings.string(store.calls[$0].callID) == id })
        #expect(store.events(of: Int32(call)).count == 1)
        #expect(store.correlationID(of: store.groups[Int(store.calls[call].group)]) == "session-7")
        // A filter on the call's own facts keeps its event; one on per-message facts looks at
        // the event's own.
        let event = try #require(store.events(of: Int32(call)).first)
        #expect(try TraceFilter.parse("callid:leg@x").matches(message: event, in: store))
        #expect(try TraceFilter.parse("corr:session-7 and from:a").matches(message: event, in: store))
        #expect(try !TraceFilter.parse("callid:other").matches(message: event, in: store))
        // Its own correlation id (the Call-ID) is one of its facts too.
        #expect(try TraceFilter.parse("corr:leg@x").matches(message: event, in: store))
        #expect(try !TraceFilter.parse("corr:session-8").matches(message: event, in: store))
        // A filter that shows the event and hides its call keeps it in the call's session.
        let shown = store.shown(keeping: try TraceFilter.parse("corr:leg@x").shows(in: store))
        let groups = shown.orderedGroups.filter { !shown.groups[$0].isEmpty }
        #expect(groups.map { shown.correlationID(of: shown.groups[$0]) } == ["session-7"])
        #expect(groups.map { shown.groups[$0].events.count } == [1] && shown.calls.isEmpty)
        #expect(shown.hiddenCallID(ofEvent: shown.groups[groups[0]].events[0]) == "leg@x")
        #expect(try !TraceFilter.parse("method:INVITE").matches(message: event, in: store))
    }
}
