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
             transport: m.transport, payloadType: m.payloadType)
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
}
