import Testing
import TestSupport
import TraceModel
import WireDecoding

/// The payload hash covers a message's start, end, length, Call-ID, branch and CSeq number only; a
/// repeat is confirmed on the bytes. A message that differs only in the middle of its body is a new message, not a
/// retransmission; the very same bytes again are one.
@Suite struct PayloadIdentityTests {
    func add(_ payload: [UInt8], at seconds: Int64, to store: inout TraceStore) throws {
        try add(payload, atNanoseconds: seconds * 1_000_000_000, to: &store)
    }

    func add(_ payload: [UInt8], atNanoseconds ns: Int64, to store: inout TraceStore) throws {
        let seconds = ns / 1_000_000_000
        try payload.withUnsafeBytes { p in
            guard case .message(let index) = SIPParser.parse(p) else { throw ParseFailure() }
            store.add(DecodedMessage(
                timestamp: Timestamp(nanoseconds: ns), captureTime: Timestamp(nanoseconds: ns),
                source: Endpoint(address: .v4(0x0a00_0001), port: 5060), destination: Endpoint(address: .v4(0x0a00_0002), port: 5060),
                transport: .udp, payloadType: 1, payload: p, sip: index, hep: nil, frameNumber: Int(seconds), payloadInputOffset: nil))
        }
    }

    struct ParseFailure: Error {}

    @Test func aChangeInTheMiddleIsANewMessageTheSameBytesARetransmission() throws {
        let packet = try Fixtures.rawHEPPackets()[0]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let invite = Array(packet[hep.payload!])
        try #require(invite.count > 400)
        var changed = invite
        let at = invite.count - 100  // inside the SDP, outside the hashed start and end
        changed[at] = changed[at] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        func digest(_ bytes: [UInt8]) throws -> MessageDigest {
            try bytes.withUnsafeBytes { p in
                guard case .message(let index) = SIPParser.parse(p) else { throw ParseFailure() }
                return MessageDigest(payload: p, sip: index)
            }
        }
        #expect(try digest(changed).payload == digest(invite).payload)

        var store = TraceStore()
        try add(invite, at: 1, to: &store)
        try add(changed, at: 2, to: &store)
        #expect(store.messages.count == 2)
        #expect(store.counters.retransmissions == 0 && store.counters.exactDuplicates == 0)
        try add(invite, at: 3, to: &store)
        #expect(store.messages.count == 3)
        #expect(store.counters.retransmissions == 1)
        #expect(store.messages.map(\.isRetransmission) == [false, false, true])
    }

    /// The same bytes from the same sender 1.4 ms later are the capture seeing one packet twice
    /// (a SPAN port mirroring both directions): counted once. At 600 ms, past SIP's T1, they are
    /// the sender repeating itself: a retransmission, kept and flagged.
    @Test func aCopyWithinTenMillisecondsIsTheCapturesNotTheSenders() throws {
        let packet = try Fixtures.rawHEPPackets()[0]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let invite = Array(packet[hep.payload!])
        var store = TraceStore()
        try add(invite, atNanoseconds: 1_000_000_000, to: &store)
        try add(invite, atNanoseconds: 1_001_400_000, to: &store)
        #expect(store.messages.count == 1 && store.counters.exactDuplicates == 1 && store.counters.retransmissions == 0)
        try add(invite, atNanoseconds: 1_010_000_000, to: &store)  // 10 ms after the first: past the window
        try add(invite, atNanoseconds: 1_600_000_000, to: &store)
        #expect(store.messages.count == 3 && store.counters.exactDuplicates == 1 && store.counters.retransmissions == 2)
    }


    /// A capture point's copy of a sighting it already sent (capture id 2 twice, 2 ms apart)
    /// is that point's duplicate, counted once, not another sighting.
    @Test func aSecondCopyAtTheSameOtherCapturePointIsADuplicate() throws {
        let packet = try Fixtures.rawHEPPackets()[0]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let invite = Array(packet[hep.payload!])
        var store = TraceStore()
        func add(_ ns: Int64, captureID: UInt32) throws {
            try invite.withUnsafeBytes { p in
                guard case .message(let index) = SIPParser.parse(p) else { throw ParseFailure() }
                let t = Timestamp(nanoseconds: ns)
                store.add(DecodedMessage(
                    timestamp: t, captureTime: t, source: Endpoint(address: .v4(0x0a00_0001), port: 5060),
                    destination: Endpoint(address: .v4(0x0a00_0002), port: 5060), transport: .udp, payloadType: 1,
                    payload: p, sip: index,
                    hep: HEPFacts(version: 3, captureID: captureID, displayCaptureID: captureID, ipProtocol: 17, hepTimestamp: t,
                                  correlationID: nil, nodeName: nil, authKey: nil, outerSource: nil, outerDestination: nil),
                    frameNumber: Int(ns / 1_000_000), payloadInputOffset: nil))
            }
        }
        try add(1_000_000_000, captureID: 1)
        try add(1_003_000_000, captureID: 2)
        try add(1_005_000_000, captureID: 2)
        #expect(store.messages.count == 1)
        #expect(store.sightings(of: 0).count == 1)
        #expect(store.counters.sightings == 1 && store.counters.exactDuplicates == 1)
    }

}
