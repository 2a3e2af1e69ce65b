import Foundation
import Testing
import TestSupport
@testable import WireDecoding

/// The network layer against real captures. Expected figures were read off the same files
/// with tshark 4.0 (addresses, ports, lengths, per-direction TCP streams without
/// retransmissions) and a short script computing the same FNV-1a and start-line counts.
@Suite struct NetworkDissectorTests {
    static let hasPublic = Fixtures.publicCapturesFolder != nil

    static func publicRun(_ name: String) throws -> NetTestRun {
        try NetTest.run(capture: try #require(Fixtures.publicCapture(name)))
    }

    @Test func kamailioPlainUDPGivesOneSegmentPerFrame() throws {
        let frames = try NetTestCapture.load(Fixtures.kamailio("sip-plain-udp.pcap"))
        #expect(frames.count == 590)
        let run = NetTest.run(frames)
        #expect(run.segments.count == 590)
        #expect(run.byFrame.count == 590)
        #expect(run.byFrame.values.allSatisfy { $0.count == 1 })
        #expect(run.counters.malformed == 0)
        #expect(run.counters.ignored == 0)
        let first = try #require(run.byFrame[1]?.first)
        #expect(first.transportProtocol == .udp)
        #expect(first.source == Endpoint(address: .v4(0x7f00_0001), port: 5070))
        #expect(first.destination == Endpoint(address: .v4(0x7f00_0001), port: 5060))
        #expect(first.source.description == "127.0.0.1:5070")
        #expect(first.text.hasPrefix("INVITE "))
        // Ethernet 14 + IPv4 20 + UDP 8: a zero-copy slice of the frame.
        #expect(first.payloadOffsetInFrame == 42)
        #expect(first.payload == Array(frames[0].data[42...]))
        #expect(first.timestamp == frames[0].timestamp)
    }

    @Test func kamailioPlainTCPStreamsHoldEveryMessageOfTheTruthFile() throws {
        let run = try NetTest.run(capture: Fixtures.kamailio("sip-plain-tcp.pcap"))
        #expect(run.counters.malformed == 0)
        let truth = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.kamailio("sip-plain-tcp.truth.json"))) as? [String: Any]
        let messages = try #require(truth?["messages"] as? [[String: Any]])
        #expect(messages.count == 280)
        var expected: [String: Int] = [:]
        for m in messages {
            expected["\(m["src"] as? String ?? "?") -> \(m["dst"] as? String ?? "?")", default: 0] += 1
        }
        let streams = run.streams()
        #expect(streams.count == 4)
        for (direction, count) in expected {
            let stream = try #require(streams[direction], "no stream for \(direction)")
            #expect(NetTest.startLineCount(stream) == count, "\(direction)")
        }
        // Exact per-direction bytes, as tshark lays them out.
        #expect(streams["127.0.0.1:5070 -> 127.0.0.1:5060"]?.count == 28363)
        #expect(streams["127.0.0.1:5060 -> 127.0.0.1:5070"]?.count == 33667)
        #expect(streams["127.0.0.1:52130 -> 127.0.0.1:5080"].map(NetTest.fnv1a) == 0x14fe_fccd_913c_8847)
        #expect(streams["127.0.0.1:5080 -> 127.0.0.1:52130"].map(NetTest.fnv1a) == 0x0457_1a83_b9c2_10c3)
        // Every connection started with a SYN in the capture: nothing was skipped.
        #expect(run.segments.allSatisfy { !$0.discontinuity })
    }

    @Test(.enabled(if: hasPublic)) func sngrepIPv6FragmentsAreReassembled() throws {
        let run = try Self.publicRun("sngrep_ipv6frag.pcap")
        #expect(run.counters.malformed == 0)
        // 34 frames; frames 1 and 4 are first fragments completed by frames 2 and 5.
        #expect(run.segments.count == 32)
        #expect(run.byFrame[1] == nil)
        #expect(run.byFrame[4] == nil)
        let invite = try #require(run.byFrame[2]?.first)
        #expect(invite.payload.count == 1699 - 8)
        #expect(invite.payloadOffsetInFrame == nil)
        #expect(invite.source.description == "[fd17:625c:f037:2:a00:27ff:feb9:1521]:15060")
        #expect(invite.destination.description == "[fd17:625c:f037:2:a00:27ff:feb9:3519]:5062")
        #expect(invite.text.hasPrefix("INVITE sip:"))
        let (length, body) = try #require(NetTest.contentLengthAndBody(invite.text))
        #expect(length == 655)
        #expect(body == 655)
        let second = try #require(run.byFrame[5]?.first)
        #expect(second.payload.count == 1879 - 8)
        let (length2, body2) = try #require(NetTest.contentLengthAndBody(second.text))
        #expect(length2 == 629)
        #expect(body2 == 629)
        // An unfragmented one: SLL 16 + IPv6 40 + UDP 8.
        let trying = try #require(run.byFrame[3]?.first)
        #expect(trying.payloadOffsetInFrame == 64)
        #expect(trying.text.hasPrefix("SIP/2.0 100 "))
    }

    @Test(.enabled(if: hasPublic)) func heplifyIPv6UDPFragmentsAreReassembled() throws {
        let run = try Self.publicRun("heplify_ipv6_udp_fragmented.pcap")
        #expect(run.counters.malformed == 0)
        #expect(run.segments.map(\.frameNumber) == [1, 2, 6])
        let whole = try #require(run.byFrame[6]?.first)
        // Four fragments (offsets 0, 181, 362, 543 in 8-byte units) make a 5387-byte datagram.
        #expect(whole.payload.count == 5379)
        #expect(whole.source.description == "[2607:f010:3f9::1001]:6363")
        #expect(whole.destination.description == "[2607:f010:3f9::11:0]:6363")
        #expect(Array(whole.payload.prefix(4)) == [0x06, 0xfd, 0x14, 0xff])
        #expect(NetTest.fnv1a(whole.payload) == 0xe840_faf6_3d6c_76c7)
    }

    @Test(.enabled(if: hasPublic)) func sngrepIPInIPDeliversTheInnerTCP() throws {
        let run = try Self.publicRun("sngrep_ipip.pcap")
        #expect(run.counters.malformed == 0)
        #expect(run.segments.map(\.frameNumber) == [1, 2, 3, 4])
        let inner = try #require(run.byFrame[2]?.first)
        #expect(inner.source.description == "10.15.193.31:33093")
        #expect(inner.destination.description == "10.15.197.103:5090")
        #expect(inner.payload.count == 621)
        #expect(inner.text.hasPrefix("SIP/2.0 183 "))
        let streams = run.streams()
        #expect(streams["10.15.193.31:33093 -> 10.15.197.103:5090"].map(NetTest.fnv1a) == 0x3263_18d9_4a21_e399)
        #expect(streams["10.15.197.103:5090 -> 10.15.193.31:33093"].map(NetTest.fnv1a) == 0xf7ca_fd17_c473_f658)
        #expect(streams["10.15.193.31:33093 -> 10.15.197.103:5090"]?.count == 1237)
        #expect(streams["10.15.197.103:5090 -> 10.15.193.31:33093"]?.count == 1512)
    }

    @Test(.enabled(if: hasPublic)) func heplifyRawIPLink() throws {
        let frames = try NetTestCapture.load(try #require(Fixtures.publicCapture("heplify_ipip0.pcap")))
        #expect(frames.first?.linkType == 101)
        let run = NetTest.run(frames)
        #expect(run.counters.malformed == 0)
        #expect(run.segments.count == 8)
        let lengths = run.segments.map { $0.payload.count + 8 }
        #expect(lengths == [1472, 328, 628, 569, 818, 570, 818, 570])
        #expect(run.segments[0].source.description == "179.43.150.26:33489")
        #expect(run.segments[0].destination.description == "157.161.10.72:5060")
        #expect(run.segments[0].payloadOffsetInFrame == 28)
        #expect(run.segments[2].text.hasPrefix("REGISTER sip:"))
    }

    @Test(.enabled(if: hasPublic)) func heplifySCTPDataChunks() throws {
        let run = try Self.publicRun("heplify_sip_sctp.pcap")
        #expect(run.counters.malformed == 0)
        #expect(run.segments.allSatisfy { $0.transportProtocol == .sctp })
        // Frame 1 holds the first piece (B) of the INVITE, frame 2 the last (E).
        #expect(run.segments.map(\.frameNumber) == [2, 3, 4, 5])
        #expect(run.segments.map(\.payload.count) == [(1468 - 16) + (328 - 16), 381 - 16, 473 - 16, 456 - 16])
        let invite = run.segments[0]
        #expect(invite.source.description == "10.249.30.11:57098")
        #expect(invite.destination.description == "10.108.207.113:5060")
        #expect(invite.text.hasPrefix("INVITE "))
        #expect(invite.payloadOffsetInFrame == nil)
        #expect(run.segments[1].text.hasPrefix("SIP/2.0 100"))
        #expect(run.segments[2].text.hasPrefix("SIP/2.0 403"))
        #expect(run.segments[3].text.hasPrefix("ACK "))
        #expect(run.segments[3].payloadOffsetInFrame != nil)
    }

    @Test(.enabled(if: hasPublic)) func heplifyTCPRetransmissionsAddNoBytes() throws {
        let run = try Self.publicRun("heplify_sip_ipv4_tcp_retrans.pcap")
        #expect(run.counters.malformed == 0)
        // Frame 38 repeats frame 36's 592 bytes.
        #expect(run.byFrame[38] == nil)
        let streams = run.streams()
        let toServer = try #require(streams["172.168.0.252:52795 -> 172.168.0.228:5060"])
        let toClient = try #require(streams["172.168.0.228:5060 -> 172.168.0.252:52795"])
        #expect(toServer.count == 673 + 843)
        #expect(toClient.count == 555 + 592)
        #expect(NetTest.startLineCount(toServer) == 2)
        #expect(NetTest.startLineCount(toClient) == 2)
        #expect(NetTest.fnv1a(toClient) == 0x4668_3394_8817_e016)
        #expect(NetTest.fnv1a(toServer) == 0x31ce_7318_fdbb_60bb)
        // All TCP payload bytes of the capture bar the one retransmission.
        #expect(streams.values.map(\.count).reduce(0, +) == 28785)
        #expect(streams.count == 15)
        #expect(run.segments.filter { $0.transportProtocol == .udp }.count == 4)
        // The capture starts mid-connection: only a direction's first bytes can be flagged.
        var seen = Set<String>()
        for s in run.segments where s.transportProtocol == .tcp {
            if s.discontinuity { #expect(!seen.contains(s.direction)) }
            seen.insert(s.direction)
        }
    }

    @Test(.enabled(if: hasPublic)) func heplifyTCPSegmentedMessages() throws {
        let run = try Self.publicRun("heplify_sip_ipv4_tcp_fragmented.pcap")
        #expect(run.counters.malformed == 0)
        let streams = run.streams()
        let expected: [(String, Int, Int, UInt64)] = [
            ("10.186.205.131:16933 -> 10.186.207.1:6060", 58632, 76, 0xf70e_35e7_89b9_2fb0),
            ("10.186.205.131:6060 -> 10.186.207.1:37398", 28132, 50, 0x65f7_9bad_7f07_a44a),
            ("10.186.205.133:22600 -> 10.186.207.1:6060", 29554, 40, 0x268d_ac63_eaac_c1ed),
            ("10.186.205.133:6060 -> 10.186.207.1:60722", 25913, 44, 0x2b91_0386_e66c_5e14),
            ("10.186.207.1:37398 -> 10.186.205.131:6060", 28337, 37, 0x1ce0_4457_cbbe_c5d7),
            ("10.186.207.1:6060 -> 10.186.205.131:16933", 61553, 89, 0xc9a2_6c5f_2d07_b625),
            ("10.186.207.1:6060 -> 10.186.205.133:22600", 25656, 40, 0x19d6_5bae_e6b9_86ca),
            ("10.186.207.1:60722 -> 10.186.205.133:6060", 24083, 30, 0xaafc_53de_df81_6275),
        ]
        #expect(streams.count == expected.count)
        for (direction, length, messages, fingerprint) in expected {
            let stream = try #require(streams[direction], "\(direction)")
            #expect(stream.count == length, "\(direction)")
            #expect(NetTest.startLineCount(stream) == messages, "\(direction)")
            #expect(NetTest.fnv1a(stream) == fingerprint, "\(direction)")
        }
    }

    @Test(.enabled(if: hasPublic)) func heplifyIPv6UDP() throws {
        let run = try Self.publicRun("heplify_sip_ipv6_udp.pcap")
        #expect(run.counters.malformed == 0)
        #expect(run.segments.map { $0.payload.count + 8 } == [718, 456, 633, 503, 503, 449])
        #expect(run.segments[0].source.description == "[fe80::21a:a0ff:fe07:32e0]:5060")
        #expect(run.segments[0].destination.description == "[fec0::216:d3ff:fe0d:22c]:5060")
        #expect(run.segments[0].payloadOffsetInFrame == 14 + 40 + 8)
        #expect(run.segments[0].text.hasPrefix("INVITE "))
        #expect(run.segments[5].text.hasPrefix("SIP/2.0 200"))
    }

    @Test(.enabled(if: hasPublic)) func heplifyWebSocketStreamsParseIntoSIPFrames() throws {
        let run = try Self.publicRun("heplify_sip_tcp_websocket.pcap")
        #expect(run.counters.malformed == 0)
        #expect(run.segments.filter { $0.transportProtocol == .udp }.count == 28)
        let streams = run.streams()
        let client = try #require(streams["10.243.17.55:43380 -> 10.243.0.157:8080"])
        let server = try #require(streams["10.243.0.157:8080 -> 10.243.17.55:43380"])
        #expect(client.count == 7396)
        #expect(server.count == 6989)

        /// Skips the HTTP upgrade, then reads WebSocket frames back to back to the end.
        func frames(_ stream: [UInt8]) throws -> [(WebSocketFrame.Header, String)] {
            let text = String(decoding: stream, as: UTF8.self)
            let headEnd = try #require(text.range(of: "\r\n\r\n"))
            var offset = text.utf8.distance(from: text.startIndex, to: headEnd.upperBound)
            var out: [(WebSocketFrame.Header, String)] = []
            try stream.withUnsafeBytes { raw in
                while offset < raw.count {
                    guard case .frame(let header) = WebSocketFrame.parse(raw.dropping(offset)) else {
                        Issue.record("no frame at \(offset)")
                        return
                    }
                    try #require(offset + header.frameLength <= raw.count)
                    let payload = raw.slice((offset + header.headerLength)..<(offset + header.frameLength))
                    var plain: [UInt8] = []
                    if let key = header.maskKey {
                        WebSocketFrame.unmask(payload, key: key, into: &plain)
                    } else {
                        plain = [UInt8](payload)
                    }
                    out.append((header, String(decoding: plain, as: UTF8.self)))
                    offset += header.frameLength
                }
            }
            return out
        }

        let fromClient = try frames(client)
        #expect(fromClient.map(\.0.payloadLength) == [2210, 453, 2509, 598, 598])
        #expect(fromClient.allSatisfy { $0.0.opcode == .text && $0.0.fin && $0.0.headerLength == 8 })
        #expect(fromClient.first?.0.maskKey == 0x35ba_599f)
        #expect(fromClient.map { String($0.1.prefix(while: { $0 != " " })) } == ["INVITE", "ACK", "INVITE", "ACK", "BYE"])
        #expect(fromClient.allSatisfy { NetTest.isStartLine(Array($0.1.utf8), at: 0) })

        let fromServer = try frames(server)
        #expect(fromServer.map(\.0.payloadLength) == [560, 381, 1104, 2114, 2100, 548])
        #expect(fromServer.allSatisfy { $0.0.maskKey == nil && $0.0.headerLength == 4 })
        #expect(fromServer.map { String($0.1.prefix(11)) } == [
            "SIP/2.0 407", "SIP/2.0 100", "SIP/2.0 180", "SIP/2.0 183", "SIP/2.0 200", "SIP/2.0 200",
        ])
    }

    @Test(.enabled(if: hasPublic)) func heplifyGREWithKeyCarriesInnerEthernet() throws {
        let frames = try NetTestCapture.load(try #require(Fixtures.publicCapture("heplify_erspan_sip_ipv4_udp.pcapng")))
        #expect(frames.count == 140)
        let run = NetTest.run(frames)
        #expect(run.counters.malformed == 0)
        #expect(run.segments.count == 140)
        #expect(run.segments.map(\.payload.count).reduce(0, +) == 96440)
        let first = run.segments[0]
        #expect(first.source.description == "180.173.83.248:53221")
        #expect(first.destination.description == "101.231.48.19:5260")
        #expect(first.text.hasPrefix("SUBSCRIBE sip:"))
        // Outer Ethernet 14 + IPv4 20 + GRE with key 8 + inner Ethernet 14 + IPv4 20 + UDP 8.
        #expect(first.payloadOffsetInFrame == 84)
        #expect(run.segments.allSatisfy { NetTest.isStartLine($0.payload, at: 0) })
    }

    /// Larger captures: UDP datagrams with a payload and TCP directions with data, as tshark
    /// counts them (`udp.length > 8`; per-direction payload without retransmissions).
    @Test(.enabled(if: hasPublic), arguments: [
        ("sngrep_aaa.pcap", 590, 2, 814),
        ("heplify_sip_ipv4_tcp.pcap", 68, 2, 4035),
        ("heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 7217, 0, 0),
        ("heplify_rtp_rtcp_sip_ipv4_udp.pcap", 3583, 70, 99282),
    ])
    func datagramAndStreamCounts(name: String, datagrams: Int, directions: Int, tcpBytes: Int) throws {
        let run = try Self.publicRun(name)
        #expect(run.counters.malformed == 0)
        #expect(run.segments.filter { $0.transportProtocol == .udp }.count == datagrams)
        let streams = run.streams()
        #expect(streams.count == directions)
        #expect(streams.values.map(\.count).reduce(0, +) == tcpBytes)
    }
}
