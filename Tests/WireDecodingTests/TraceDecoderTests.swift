import Testing
import TestSupport
import WireDecoding

/// The whole path from frames or datagrams to messages, on real HEP bytes re-framed in ways the
/// recordings do not cover (TCP streams, sniffer segments, TLS/WS transports).
@Suite struct TraceDecoderTests {
    struct Seen {
        var callID: String?
        var correlation: String?
        var transport: SIPTransport
        var payloadType: UInt8
        var payload: [UInt8] = []

        var firstLine: String { String(decoding: payload.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self) }
    }

    static let agent = Endpoint(address: .v4(0x7f00_0001), port: 5060)
    static let collector = Endpoint(address: .v4(0x7f00_0001), port: 9060)

    func decodeCapture(_ pcap: [UInt8]) -> ([Seen], DecodeCounters) {
        let decoder = TraceDecoder()
        var seen: [Seen] = []
        pcap.withUnsafeBytes { bytes in
            var reader = try! CaptureFileReader(bytes)
            while let frame = reader.next() {
                decoder.decode(frame: frame) { seen.append(Self.seen($0)) }
            }
            decoder.finish { seen.append(Self.seen($0)) }
        }
        return (seen, decoder.counters)
    }

    static func seen(_ m: DecodedMessage) -> Seen {
        Seen(callID: m.sip.flatMap { m.payload.text($0.callID) },
             correlation: m.hep?.correlationID.map { String(decoding: $0, as: UTF8.self) },
             transport: m.transport, payloadType: m.payloadType, payload: Array(m.payload))
    }

    func datagrams(_ packets: [[UInt8]], decoder: TraceDecoder = TraceDecoder()) -> [Seen] {
        var seen: [Seen] = []
        for (i, p) in packets.enumerated() {
            p.withUnsafeBytes {
                decoder.decode(datagram: $0, from: Self.agent, to: Self.collector,
                               receivedAt: Timestamp(nanoseconds: 0), number: i + 1) { seen.append(Self.seen($0)) }
            }
        }
        return seen
    }

    @Test(arguments: [536, 1460, 9000])
    func hepOverTCPInACaptureIsFramedByLength(segmentSize: Int) throws {
        let packets = try Fixtures.rawHEPPackets()
        let stream = packets.flatMap { $0 }
        var pcap = PcapWriter()
        var seq: UInt32 = 1000
        let syn = FrameBuilder.tcp(from: Self.agent, to: Self.collector, sequence: seq - 1, flags: 0x02, payload: [])
        pcap.append(syn, time: Timestamp(nanoseconds: 1))
        for (i, start) in stride(from: 0, to: stream.count, by: segmentSize).enumerated() {
            let chunk = Array(stream[start..<min(start + segmentSize, stream.count)])
            pcap.append(FrameBuilder.tcp(from: Self.agent, to: Self.collector, sequence: seq, payload: chunk),
                        time: Timestamp(nanoseconds: Int64(2 + i)))
            seq &+= UInt32(chunk.count)
        }
        let (seen, counters) = decodeCapture(pcap.bytes)
        #expect(seen.count == 280)
        #expect(counters.hepByVersion[3] == 280)
        #expect(counters.malformed == 0)
        #expect(Set(seen.compactMap(\.correlation)) == ["tb-20261127T015517Z-udp-a", "tb-20261127T015517Z-udp-b"])
        #expect(Set(seen.compactMap(\.callID)).count == 40)
    }

    static let invite = "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/%T client.invalid;branch=z9hG4bK1\r\n"
        + "Call-ID: t1@x\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nContent-Length: 0\r\n\r\n"

    func inviteOver(via: String) -> [UInt8] { Array(Self.invite.replacingOccurrences(of: "%T", with: via).utf8) }

    @Test func fakeIPProtocolsAreRefinedFromTheTopVia() {
        let cases: [(UInt8, String, SIPTransport)] = [
            (22, "TLS", .tls), (22, "WSS", .wss), (22, "WS", .ws), (50, "WSS", .wss), (50, "WS", .ws),
            (17, "UDP", .udp), (6, "TCP", .tcp), (132, "SCTP", .sctp),
        ]
        for (proto, via, expected) in cases {
            let packet = HEPBuilder.sip(inviteOver(via: via), from: Self.agent, to: Self.collector,
                                        time: Timestamp(nanoseconds: 1_000_000_000), ipProtocol: proto)
            #expect(datagrams([packet]).map(\.transport) == [expected], "proto \(proto) via \(via)")
        }
    }

    @Test func snifferSegmentsInsideHEPAreReassembled() {
        // A sniffer puts raw TCP segments in HEP: one SIP message over two packets, then two in one.
        let message = inviteOver(via: "TCP")
        let src = Endpoint(address: .v4(0x0a00_0001), port: 40000), dst = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        func hep(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            HEPBuilder.sip(Array(bytes), from: src, to: dst, time: Timestamp(nanoseconds: 5), ipProtocol: 6)
        }
        let seen = datagrams([hep(message[0..<50]), hep(message[50...]), hep(ArraySlice(message + message))])
        #expect(seen.count == 3)
        #expect(seen.allSatisfy { $0.callID == "t1@x" && $0.transport == .tcp })
    }

    @Test func nonSIPPayloadsAreKeptAsEvents() {
        let log = HEPBuilder.sip(Array("rtpengine: stats".utf8), from: Self.agent, to: Self.collector,
                                 time: Timestamp(nanoseconds: 9), correlationID: "t1@x", payloadType: 100)
        let seen = datagrams([log])
        #expect(seen.count == 1)
        #expect(seen[0].payloadType == 100)
        #expect(seen[0].correlation == "t1@x")
        #expect(seen[0].callID == nil)
    }

    @Test func authKeyFilterDropsAndCounts() {
        var good = HEPBuilder()
        good.chunk(0x0e, Array("secret".utf8))
        var packets: [[UInt8]] = []
        for key in ["secret", "wrong"] {
            var b = HEPBuilder()
            b.chunk(3, [127, 0, 0, 1]); b.chunk(4, [127, 0, 0, 1]); b.chunk(7, [0x13, 0xc4]); b.chunk(8, [0x13, 0xc4])
            b.chunk(0x0e, Array(key.utf8))
            b.chunk(0x0f, inviteOver(via: "UDP"))
            packets.append(b.packet())
        }
        let decoder = TraceDecoder()
        decoder.requiredAuthKey = Array("secret".utf8)
        #expect(datagrams(packets, decoder: decoder).count == 1)
        #expect(decoder.counters.droppedReasons["HEP auth key mismatch"] == 1)
        #expect(decoder.counters.malformed == 0)
    }

    @Test func mutatedRealFramesNeverCrashTheDecoder() throws {
        var frames: [[UInt8]] = []
        for name in ["hep-kamailio-udp.pcap", "sip-plain-tcp.pcap"] {
            try Fixtures.bytes(Fixtures.kamailio(name)).withUnsafeBytes { bytes in
                var reader = try CaptureFileReader(bytes)
                while let f = reader.next(), frames.count < 400 { frames.append(Array(f.data)) }
            }
        }
        var rng = SystemRandomNumberGenerator()
        let decoder = TraceDecoder()
        var delivered = 0
        for round in 0..<30_000 {
            var f = frames[round % frames.count]
            let flips = Int.random(in: 1...6, using: &rng)
            for _ in 0..<flips { f[Int.random(in: 0..<f.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if round % 5 == 0 { f = Array(f.prefix(Int.random(in: 0...f.count, using: &rng))) }
            f.withUnsafeBytes { data in
                let frame = CaptureFrame(data: data, linkType: 1, timestamp: Timestamp(nanoseconds: Int64(round)),
                                         originalLength: data.count, dataOffset: 0, interfaceID: 0,
                                         frameNumber: round + 1)
                decoder.decode(frame: frame) { _ in delivered += 1 }
            }
        }
        decoder.finish { _ in delivered += 1 }
        #expect(decoder.counters.packets == 30_000)
        // Some frames survive mutation (flips in a payload's body), most are counted as damaged.
        #expect(delivered > 0)
        #expect(decoder.counters.malformed + decoder.counters.ignored > 0)
    }

    // MARK: TCP connections in captures

    static let client = Endpoint(address: .v4(0x0a00_0001), port: 40000)
    static let server = Endpoint(address: .v4(0x0a00_0002), port: 5060)

    /// Client-to-server TCP segments (sequence, flags, bytes) as a capture, a millisecond apart.
    func clientSegments(_ segments: [(UInt32, UInt8, [UInt8])]) -> [UInt8] {
        var pcap = PcapWriter()
        for (i, (sequence, flags, bytes)) in segments.enumerated() {
            pcap.append(FrameBuilder.tcp(from: Self.client, to: Self.server, sequence: sequence, flags: flags, payload: bytes),
                        time: Timestamp(nanoseconds: Int64(i + 1) * 1_000_000))
        }
        return pcap.bytes
    }

    static func options(_ callID: String) -> [UInt8] {
        Array(("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/TCP c;branch=z9hG4bK\(callID)\r\nFrom: <sip:a@x>;tag=1\r\n"
            + "To: <sip:b@x>\r\nCall-ID: \(callID)\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    @Test func aNewConnectionOnTheSameAddressesStartsAfresh() {
        let cut = Array("BYE sip:b@x SIP/2.0\r\nCall-ID: old@x\r\nCSeq: 2 BYE\r\n".utf8)  // never finished
        let fresh = Self.options("new@x")
        let (seen, counters) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, cut), (101 + UInt32(cut.count), 0x11, []),
            (9000, 0x02, []), (9001, 0x18, fresh),
        ]))
        #expect(seen.map(\.callID) == ["new@x"])
        #expect(counters.malformedReasons == ["incomplete message at end of stream": 1])
        // No FIN captured: the new SYN alone ends the old connection.
        let (again, againCounters) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, cut), (9000, 0x02, []), (9001, 0x18, fresh),
        ]))
        #expect(again.map(\.callID) == ["new@x"])
        #expect(againCounters.malformedReasons == ["incomplete message at end of stream": 1])
    }

    @Test func webSocketThenPlainSIPOnTheSameAddresses() {
        let handshake = Array("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
        let message = Self.options("ws@x")
        let frame: [UInt8] = [0x81, 126, UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
        let second = Self.options("tcp@x")
        var sequence: UInt32 = 101
        var segments: [(UInt32, UInt8, [UInt8])] = [(100, 0x02, [])]
        for bytes in [handshake, frame] {
            segments.append((sequence, 0x18, bytes))
            sequence += UInt32(bytes.count)
        }
        segments += [(sequence, 0x11, []), (7000, 0x02, []), (7001, 0x18, second)]
        let (seen, counters) = decodeCapture(clientSegments(segments))
        #expect(seen.map(\.callID) == ["ws@x", "tcp@x"])
        #expect(seen.map(\.transport) == [.ws, .tcp])
        #expect(counters.malformed == 0)
    }

    /// A WebSocket frame around `payload`: text, final, masked with `key` when given.
    static func webSocketFrame(_ payload: [UInt8], opcode: UInt8 = 0x81, key: UInt32? = nil) -> [UInt8] {
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        var frame: [UInt8] = [opcode]
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xffff {
            frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(maskBit | 127)
            frame += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) }
        }
        guard let key else { return frame + payload }
        let keyBytes = (0..<4).reversed().map { UInt8(truncatingIfNeeded: key >> ($0 * 8)) }
        return frame + keyBytes + payload.enumerated().map { $0.element ^ keyBytes[$0.offset & 3] }
    }

    static let webSocketHandshake = Array("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)

    /// Client segments back to back from sequence 101 after a SYN, with the byte ranges in
    /// `lost` left out (a capture that dropped them).
    func webSocketCapture(_ stream: [UInt8], segmentSize: Int = 200, lost: [Range<Int>] = []) -> [UInt8] {
        var segments: [(UInt32, UInt8, [UInt8])] = [(100, 0x02, [])]
        var at = 0
        while at < stream.count {
            let end = min(at + segmentSize, stream.count)
            if !lost.contains(where: { $0.overlaps(at..<end) }) {
                segments.append((101 + UInt32(at), 0x18, Array(stream[at..<end])))
            }
            at = end
        }
        return clientSegments(segments)
    }

    @Test func aWebSocketStreamPicksUpAgainAfterALostSegment() {
        let frames = (1...6).map { Self.webSocketFrame(Self.options("ws\($0)@x"), key: $0 % 2 == 0 ? nil : 0x3712_9a5c) }
        let stream = Self.webSocketHandshake + frames.joined()
        let starts = frames.indices.map { k in Self.webSocketHandshake.count + frames[..<k].map(\.count).reduce(0, +) }
        // Lost: the middle of the second frame; then the bytes from inside the fourth up to
        // exactly the start of the sixth.
        let lost = [starts[1] + 40..<starts[1] + 60, starts[3] + 10..<starts[5]]
        // Segments cut where the losses begin and end, so that nothing else goes missing.
        var segments: [(UInt32, UInt8, [UInt8])] = [(100, 0x02, [])]
        var cuts = [0, stream.count] + lost.flatMap { [$0.lowerBound, $0.upperBound] }
        cuts = Array(Set(cuts)).sorted()
        for (a, b) in zip(cuts, cuts.dropFirst()) where !lost.contains(where: { $0.lowerBound == a }) {
            segments.append((101 + UInt32(a), 0x18, Array(stream[a..<b])))
        }
        let (seen, counters) = decodeCapture(clientSegments(segments))
        #expect(seen.map(\.callID) == ["ws1@x", "ws3@x", "ws6@x"])
        #expect(seen.allSatisfy { $0.transport == .ws && $0.firstLine == "OPTIONS sip:b@x SIP/2.0" })
        #expect(counters.malformedReasons == ["TCP gap in WebSocket stream": 2])
        // What waits after a gap for a frame start that never completes was the gap's loss,
        // already counted: not an incomplete message at the end as well.
        let cut = Self.webSocketHandshake + frames[0] + frames[1].prefix(20)
        let (few, fewCounters) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, cut), (101 + UInt32(cut.count) + 50, 0x18, [0x81, 0x7e]),
        ]))
        #expect(few.map(\.callID) == ["ws1@x"])
        #expect(fewCounters.malformedReasons == ["TCP gap in WebSocket stream": 1])
        // A gap that takes a frame's first bytes, right after a whole one: the frame's rest
        // is skipped to the next, and that loss is counted too.
        let headLost = Self.webSocketHandshake + frames[0]
        let rest = Array(frames[1].dropFirst(30)) + frames[2]
        let (after, afterCounters) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, headLost), (101 + UInt32(headLost.count) + 30, 0x18, rest),
        ]))
        #expect(after.map(\.callID) == ["ws1@x", "ws3@x"])
        #expect(afterCounters.malformedReasons == ["TCP gap in WebSocket stream": 1])
    }

    @Test func aWebSocketFrameThatMakesNoSenseOrIsTooLargeLosesOnlyItself() {
        let first = Self.webSocketFrame(Self.options("a@x"), key: 0x0102_0304)
        let reservedOpcode = Self.webSocketFrame(Array("junk".utf8), opcode: 0x83)
        let big = Self.webSocketFrame([UInt8](repeating: 0x41, count: 300 * 1024), opcode: 0x82)
        let after = Self.webSocketFrame(Self.options("b@x"))
        let last = Self.webSocketFrame(Self.options("c@x"), key: 0xa0b0_c0d0)
        let (seen, counters) = decodeCapture(webSocketCapture(
            Self.webSocketHandshake + first + reservedOpcode + after + big + last, segmentSize: 1400))
        #expect(seen.map(\.callID) == ["a@x", "b@x", "c@x"])
        #expect(counters.malformedReasons == ["invalid WebSocket frame": 1, "WebSocket frame too large": 1])
    }

    @Test func aFirstSegmentTooShortToTellWaitsForTheRest() throws {
        let invite = inviteOver(via: "TCP")
        let (seen, _) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, Array(invite[0..<10])), (111, 0x18, Array(invite[10...])),
        ]))
        #expect(seen.map(\.callID) == ["t1@x"])

        let hep = try Fixtures.rawHEPPackets()[0]
        let (hepSeen, hepCounters) = decodeCapture(clientSegments([
            (100, 0x02, []), (101, 0x18, Array(hep[0..<3])), (104, 0x18, Array(hep[3...])),
        ]))
        #expect(hepSeen.count == 1)
        #expect(hepCounters.hepByVersion[3] == 1)
        // Printable bytes without a line end, then a whole message: they began nothing, whether
        // the message's first line would make a token with them or not; nor do bytes before a gap.
        for junk in ["hello", "</presence>"] {
            let first = Array(junk.utf8), c1 = Self.options("c1@x"), c2 = Self.options("c2@x")
            let at = UInt32(5000 + first.count)
            let (seen, _) = decodeCapture(clientSegments([(5000, 0x18, first), (at, 0x18, c1), (at + UInt32(c1.count), 0x18, c2)]))
            #expect(seen.map(\.callID) == ["c1@x", "c2@x"], "\(junk)")
            #expect(seen.allSatisfy { $0.firstLine == "OPTIONS sip:b@x SIP/2.0" }, "\(junk)")
        }
        // A method SIP does not define is taken alone too, when the join starts nothing.
        let custom = Array(String(decoding: Self.options("x1@x"), as: UTF8.self).replacingOccurrences(of: "OPTIONS", with: "FOOBAR").utf8)
        let (customSeen, _) = decodeCapture(clientSegments([(5000, 0x18, Array("</presence>".utf8)), (5011, 0x18, custom)]))
        #expect(customSeen.map(\.firstLine) == ["FOOBAR sip:b@x SIP/2.0"])
        let cut = Array("INVITE sip:".utf8), after = Self.options("after-gap@x")
        let (gapSeen, _) = decodeCapture(clientSegments([(100, 0x02, []), (101, 0x18, cut), (101 + UInt32(cut.count) + 100, 0x18, after)]))
        #expect(gapSeen.map(\.callID) == ["after-gap@x"])
        #expect(gapSeen.first?.firstLine == "OPTIONS sip:b@x SIP/2.0")

        // Bytes that can start nothing known are still passed over.
        let (none, noneCounters) = decodeCapture(clientSegments([(100, 0x02, []), (101, 0x18, [0x16, 0x03, 0x01, 0x00])]))
        #expect(none.isEmpty)
        #expect(noneCounters.ignored == 2)
    }

    @Test func hepOverTCPPicksUpAfterALostSegment() throws {
        let packets = try Fixtures.rawHEPPackets()
        let stream = packets.flatMap { $0 }
        let segmentSize = 1460, lostSegment = 10
        let lost = lostSegment * segmentSize..<(lostSegment + 1) * segmentSize
        var segments: [(UInt32, UInt8, [UInt8])] = [(999, 0x02, [])]
        for (i, start) in stride(from: 0, to: stream.count, by: segmentSize).enumerated() where i != lostSegment {
            segments.append((1000 + UInt32(start), 0x18, Array(stream[start..<min(start + segmentSize, stream.count)])))
        }
        // Packets touching the lost bytes are lost with them; every other one comes out.
        var start = 0, touching = 0
        for p in packets {
            if start < lost.upperBound, start + p.count > lost.lowerBound { touching += 1 }
            start += p.count
        }
        let (seen, counters) = decodeCapture(clientSegments(segments))
        #expect(touching >= 2 && touching <= 5)
        #expect(seen.count == packets.count - touching)
        #expect(counters.hepByVersion[3] == packets.count - touching)
    }

    /// A body's own NULs (an ISUP body ends with one) are counted by its Content-Length: kept.
    @Test func aBodyEndingInNULKeepsIt() {
        let src = Endpoint(address: .v4(0x0a00_0001), port: 40000), dst = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        func info(_ id: String) -> [UInt8] {
            Array(("INFO sip:b@x SIP/2.0\r\nVia: SIP/2.0/TCP c;branch=z9hG4bK\(id)\r\nCall-ID: \(id)\r\nCSeq: 2 INFO\r\n"
                + "Content-Type: application/isup\r\nContent-Length: 4\r\n\r\n").utf8) + [0x06, 0x01, 0x20, 0x00]
        }
        for proto: UInt8 in [6, 17] {
            let packets = ["i1@x", "i2@x"].map { HEPBuilder.sip(info($0), from: src, to: dst, time: Timestamp(nanoseconds: 5), ipProtocol: proto) }
            let seen = datagrams(packets)
            #expect(seen.map(\.callID) == ["i1@x", "i2@x"], "proto \(proto)")
            #expect(seen.map(\.payload) == [info("i1@x"), info("i2@x")], "proto \(proto)")
        }
    }

    @Test func nulPaddedHEPPayloadsOnAStreamLoseNothing() {
        let src = Endpoint(address: .v4(0x0a00_0001), port: 40000), dst = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        let packets = ["a@x", "b@x", "c@x"].map { id in
            HEPBuilder.sip(Self.options(id) + [0], from: src, to: dst, time: Timestamp(nanoseconds: 5), ipProtocol: 6)
        }
        let decoder = TraceDecoder()
        #expect(datagrams(packets, decoder: decoder).map(\.callID) == ["a@x", "b@x", "c@x"])
        #expect(decoder.counters.malformed == 0)
    }
}
