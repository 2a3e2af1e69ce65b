import Testing
@testable import WireDecoding

/// Hand-built packets for the cases the captures do not cover.
@Suite struct NetworkSyntheticTests {
    typealias P = NetPacket

    static let message = P.bytes("INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n") + [UInt8](repeating: 0x41, count: 43)

    // MARK: link layer

    @Test func vlanAndQinQTagsAreSkipped() {
        let inner = P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(5060, 5060, Self.message))
        let run = NetTest.run(frames: [
            P.ethernet(0x0800, tags: [(0x8100, 10)], inner),
            P.ethernet(0x0800, tags: [(0x88A8, 100), (0x8100, 10)], inner),
            P.ethernet(0x0800, tags: [(0x9100, 7), (0x88A8, 100), (0x8100, 10)], inner),
            P.ethernet(0x86DD, tags: [(0x8100, 10)],
                       P.ipv6(P.v6(1), P.v6(2), next: 17, P.udp(5060, 5080, Self.message))),
        ])
        #expect(run.counters.malformed == 0)
        #expect(run.segments.map(\.payloadOffsetInFrame) == [18 + 28, 22 + 28, 26 + 28, 18 + 48])
        #expect(run.segments.allSatisfy { $0.payload == Self.message })
        #expect(run.segments[3].destination.description == "[2001:db8::2]:5080")
    }

    @Test func cutVlanTagIsMalformedAndNonIPIsIgnored() {
        let run = NetTest.run(frames: [
            P.macs + [0x81, 0x00, 0x00],  // tag cut short
            P.ethernet(0x0806, [UInt8](repeating: 0, count: 28)),  // ARP
            P.ethernet(0x002e, [UInt8](repeating: 0, count: 46)),  // 802.3 length
            [UInt8](repeating: 0, count: 13),
        ])
        #expect(run.segments.isEmpty)
        #expect(run.counters.malformedReasons == ["short vlan tag": 1, "short ethernet header": 1])
        #expect(run.counters.ignored == 2)
    }

    @Test func ethernetPaddingIsTrimmedByIPLength() {
        let payload = P.bytes("OPTIONS sip:x")
        let frame = P.udpFrame(payload) + [UInt8](repeating: 0xee, count: 60 - 42 - payload.count + 10)
        let run = NetTest.run(frames: [frame])
        #expect(run.segments.map(\.payload) == [payload])
    }

    @Test func nullAndLoopLinksInBothByteOrders() {
        let v4 = P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, [1, 2, 3]))
        let v6 = P.ipv6(P.v6(1), P.v6(2), next: 17, P.udp(3, 4, [4, 5]))
        var c = DecodeCounters()
        var got: [(UInt16, Int?)] = []
        var dissector = NetworkDissector()
        let cases: [(UInt32, [UInt8])] = [
            (0, [2, 0, 0, 0] + v4),  // little-endian host
            (0, [0, 0, 0, 2] + v4),  // big-endian host
            (0, [30, 0, 0, 0] + v6),  // macOS
            (0, [0, 0, 0, 24] + v6),  // OpenBSD, big-endian
            (0, [28, 0, 0, 0] + v6),  // FreeBSD
            (108, [0, 0, 0, 2] + v4),
            (108, [0, 0, 0, 30] + v6),
            (108, [2, 0, 0, 0] + v4),  // LOOP is always network order: this is no known family
            (0, [7, 0, 0, 0] + v4),
        ]
        for (i, (link, frame)) in cases.enumerated() {
            frame.withUnsafeBytes { raw in
                dissector.dissect(linkType: link, frame: raw, timestamp: .zero, frameNumber: i + 1, counters: &c) {
                    got.append(($0.source.port, $0.payloadOffsetInFrame))
                }
            }
        }
        #expect(got.map(\.0) == [1, 1, 3, 3, 3, 1, 3])
        #expect(got.map(\.1) == [32, 32, 52, 52, 52, 32, 52])
        #expect(c.ignored == 2)
        #expect(c.malformed == 0)
    }

    @Test func otherLinkTypes() {
        let v4 = P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, [9]))
        let v6 = P.ipv6(P.v6(1), P.v6(2), next: 17, P.udp(1, 2, [9]))
        let sll = [0, 0, 0, 1, 0, 6] + P.macs.prefix(8) + [0x08, 0x00] + v4
        let sllVlan = [0, 4, 0, 1, 0, 6] + P.macs.prefix(8) + [0x81, 0x00, 0x00, 0x0a, 0x86, 0xdd] + v6
        let sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + P.macs.prefix(8) + v4
        let cases: [(UInt32, [UInt8], Int)] = [
            (101, v4, 28), (101, v6, 48), (12, v4, 28), (14, v6, 48), (228, v4, 28), (229, v6, 48),
            (113, sll, 44), (113, sllVlan, 68), (276, sll2, 48),
        ]
        for (link, frame, offset) in cases {
            let run = NetTest.run(frames: [frame], linkType: link)
            #expect(run.segments.map(\.payloadOffsetInFrame) == [offset], "link \(link)")
            #expect(run.counters.malformed == 0, "link \(link)")
        }
        // NFLOG: header, a prefix TLV (type 10, "abc" padded), then the packet TLV (type 9), little-endian.
        let nflog: [UInt8] = [2, 0, 0, 0] + [7, 0, 10, 0] + Array("abc".utf8) + [0] + [UInt8(4 + v4.count), 0, 9, 0] + v4
        let nflogRun = NetTest.run(frames: [nflog, Array(nflog.prefix(12))], linkType: 239)
        #expect(nflogRun.segments.map(\.payloadOffsetInFrame) == [16 + 28])
        #expect(nflogRun.counters.ignored == 1)
        let unknown = NetTest.run(frames: [v4, v4], linkType: 147)
        #expect(unknown.counters.malformedReasons == ["unsupported link type 147": 2])
        let wrongVersion = NetTest.run(frames: [v6], linkType: 228)
        #expect(wrongVersion.counters.malformedReasons == ["bad ipv4 version": 1])
        let short = NetTest.run(frames: [Array(sll.prefix(15))], linkType: 113)
        #expect(short.counters.malformedReasons == ["short sll header": 1])
    }

    // MARK: IPv4

    @Test func truncatedAndInconsistentIPv4Headers() {
        let good = P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, [1, 2, 3, 4]))
        var bigIHL = good
        bigIHL[0] = 0x4f  // 60-byte header in a 32-byte packet
        var smallIHL = good
        smallIHL[0] = 0x44
        let run = NetTest.run(frames: [
            P.ethernet(0x0800, Array(good.prefix(19))),
            P.ethernet(0x0800, bigIHL),
            P.ethernet(0x0800, smallIHL),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, totalLength: 200, P.udp(1, 2, [1]))),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, totalLength: 12, P.udp(1, 2, [1]))),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, Array(P.udp(1, 2, [1]).prefix(7)))),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, length: 5, [1]))),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, []))),
            P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 1, [8, 0, 0, 0])),  // ICMP
        ])
        #expect(run.segments.isEmpty)
        #expect(run.counters.malformedReasons == [
            "short ipv4 header": 2, "bad ipv4 header length": 1, "truncated ipv4 packet": 1,
            "bad ipv4 total length": 1, "short udp header": 1, "bad udp length": 1,
        ])
        #expect(run.counters.ignored == 2)
    }

    @Test func udpLengthFieldShorterThanIPPayloadWins() {
        let run = NetTest.run(frames: [P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(1, 2, length: 11, [1, 2, 3, 4, 5])))])
        #expect(run.segments.map(\.payload) == [[1, 2, 3]])
    }

    /// A 108-byte UDP datagram in three IPv4 fragments sent last-first, the middle one
    /// overlapping both neighbours.
    static func fragments(id: UInt16 = 7) -> (datagram: [UInt8], frames: [[UInt8]]) {
        let datagram = P.udp(5060, 5060, Self.message)
        #expect(datagram.count == 108)
        func piece(_ range: Range<Int>, more: Bool) -> [UInt8] {
            P.ethernet(0x0800, P.ipv4(
                P.clientIP, P.serverIP, proto: 17, id: id, moreFragments: more, offset8: UInt16(range.lowerBound / 8),
                Array(datagram[range])))
        }
        return (datagram, [piece(48..<108, more: false), piece(24..<64, more: true), piece(0..<32, more: true)])
    }

    @Test func ipv4FragmentsOutOfOrderWithOverlap() {
        let (datagram, frames) = Self.fragments()
        let run = NetTest.run(frames: frames)
        #expect(run.counters.malformed == 0)
        #expect(run.segments.count == 1)
        let s = run.segments[0]
        #expect(s.payload == Array(datagram[8...]))
        #expect(s.frameNumber == 3)
        #expect(s.payloadOffsetInFrame == nil)
        #expect(s.source.description == "10.0.0.1:5060")
        // Two fragments alone never complete, and the end of input says so.
        let partial = NetTest.run(frames: Array(frames.prefix(2)))
        #expect(partial.segments.isEmpty)
        #expect(partial.counters.malformedReasons == ["incomplete ip fragments": 1])
    }

    @Test func fragmentsOfDifferentDatagramsStayApart() {
        let a = Self.fragments(id: 1).frames, b = Self.fragments(id: 2).frames
        let run = NetTest.run(frames: [a[0], b[0], b[1], a[1], a[2], b[2]])
        #expect(run.segments.map(\.frameNumber) == [5, 6])
        #expect(run.counters.malformed == 0)
    }

    @Test func fragmentTimeoutAndSizeCap() {
        let (_, frames) = Self.fragments()
        var limits = NetworkLimits()
        limits.fragmentTimeoutSeconds = 5
        // 10 s between frames: the first piece has expired when the others come.
        let late = NetTest.run(frames: frames, limits: limits, spacing: 10_000_000_000)
        #expect(late.segments.isEmpty)
        // Two pieces expire on the way, the last one is still waiting at the end.
        #expect(late.counters.malformedReasons == ["incomplete ip fragments": 3])

        let huge = P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, moreFragments: true, offset8: 8190, [UInt8](repeating: 0, count: 64)))
        let run = NetTest.run(frames: [huge])
        #expect(run.counters.malformedReasons == ["ip fragment too large": 1])

        var few = NetworkLimits()
        few.maximumPendingFragmentKeys = 4
        let crowd = (0..<10).map { Self.fragments(id: UInt16($0)).frames[0] }
        var dissector = NetworkDissector(limits: few)
        var c = DecodeCounters()
        for (i, f) in crowd.enumerated() {
            f.withUnsafeBytes { dissector.dissect(linkType: 1, frame: $0, timestamp: .zero, frameNumber: i, counters: &c) { _ in } }
        }
        #expect(dissector.pendingFragmentedDatagrams == 4)
        #expect(c.malformedReasons == ["incomplete ip fragments": 6])
    }

    // MARK: IPv6

    @Test func ipv6ExtensionHeadersAndFragments() {
        let udp = P.udp(5060, 5062, Self.message)
        let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]  // next: destination options
        let destination: [UInt8] = [51, 1] + [UInt8](repeating: 0, count: 14)  // next: AH, 16 bytes
        let auth: [UInt8] = [17, 4] + [UInt8](repeating: 0, count: 22)  // (4+2)*4 = 24 bytes
        let chain = P.ipv6(P.v6(1), P.v6(2), next: 0, hopByHop + destination + auth + udp)
        let atomic = P.ipv6(P.v6(1), P.v6(2), next: 44, [17, 0, 0, 0, 0, 0, 0, 9] + udp)
        // Two fragments, second first; the fragment header names UDP.
        func piece(_ range: Range<Int>, more: Bool) -> [UInt8] {
            let field = UInt16(range.lowerBound) | (more ? 1 : 0)
            return P.ethernet(0x86DD, P.ipv6(P.v6(1), P.v6(2), next: 44, [17, 0] + P.be16(field) + P.be32(99) + Array(udp[range])))
        }
        let run = NetTest.run(frames: [
            P.ethernet(0x86DD, chain), P.ethernet(0x86DD, atomic),
            piece(56..<udp.count, more: false), piece(0..<56, more: true),
        ])
        #expect(run.counters.malformed == 0)
        #expect(run.segments.map(\.frameNumber) == [1, 2, 4])
        #expect(run.segments.allSatisfy { $0.payload == Self.message })
        #expect(run.segments.map(\.payloadOffsetInFrame) == [14 + 40 + 48 + 8, 14 + 40 + 8 + 8, nil])

        var cut = P.ipv6(P.v6(1), P.v6(2), next: 0, [17, 3] + [UInt8](repeating: 0, count: 10))
        let bad = NetTest.run(frames: [P.ethernet(0x86DD, cut)])
        #expect(bad.counters.malformedReasons == ["short ipv6 extension header": 1])
        cut[5] = 200
        let long = NetTest.run(frames: [P.ethernet(0x86DD, cut)])
        #expect(long.counters.malformedReasons == ["truncated ipv6 packet": 1])
    }

    // MARK: tunnels

    @Test func ipInIPBothWays() {
        let udp = P.udp(5060, 5060, Self.message)
        let v4in6 = P.ipv6(P.v6(1), P.v6(2), next: 4, P.ipv4(P.clientIP, P.serverIP, proto: 17, udp))
        let v6in4 = P.ipv4(0x0101_0101, 0x0202_0202, proto: 41, P.ipv6(P.v6(1), P.v6(2), next: 17, udp))
        let run = NetTest.run(frames: [P.ethernet(0x86DD, v4in6), P.ethernet(0x0800, v6in4)])
        #expect(run.segments.map(\.source.description) == ["10.0.0.1:5060", "[2001:db8::1]:5060"])

        var nested = P.ipv4(P.clientIP, P.serverIP, proto: 17, udp)
        for _ in 0..<20 { nested = P.ipv4(P.clientIP, P.serverIP, proto: 4, nested) }
        let deep = NetTest.run(frames: [P.ethernet(0x0800, nested)])
        #expect(deep.segments.isEmpty)
        #expect(deep.counters.malformedReasons == ["encapsulation too deep": 1])
    }

    @Test func greVariants() {
        let udp = P.udp(5060, 5060, Self.message)
        let inner4 = P.ipv4(P.clientIP, P.serverIP, proto: 17, udp)
        let inner6 = P.ipv6(P.v6(1), P.v6(2), next: 17, udp)
        func outer(_ gre: [UInt8]) -> [UInt8] { P.ethernet(0x0800, P.ipv4(0x0101_0101, 0x0202_0202, proto: 47, gre)) }
        let keyed = [0x20, 0x00, 0x08, 0x00] + P.be32(42) + inner4
        let everything = [0xb0, 0x00, 0x86, 0xdd] + P.be32(0) + P.be32(42) + P.be32(1) + inner6
        let erspan2 = [0x10, 0x00, 0x88, 0xbe] + P.be32(1) + [0x10, 0, 0, 1, 0, 0, 0, 0] + P.ethernet(0x0800, inner4)
        let erspan1 = [0x00, 0x00, 0x88, 0xbe] + P.ethernet(0x0800, inner4)
        let erspan3 = [0x10, 0x00, 0x22, 0xeb] + P.be32(1) + [0x20, 0, 0, 1] + P.be32(0) + [0, 0, 0, 0x01] + [UInt8](repeating: 0, count: 8) + P.ethernet(0x0800, inner4)
        let bridged = [0x00, 0x00, 0x65, 0x58] + P.ethernet(0x0800, inner4)
        let pptp = [0x30, 0x01, 0x88, 0x0b] + P.be32(0) + P.be32(0) + [0xff, 0x03]
        let run = NetTest.run(frames: [outer(keyed), outer(everything), outer(erspan2), outer(erspan1), outer(erspan3), outer(bridged), outer(pptp)])
        #expect(run.counters.malformed == 0)
        #expect(run.counters.ignored == 1)
        let base = 14 + 20
        #expect(run.segments.map(\.payloadOffsetInFrame) == [
            base + 8 + 28, base + 16 + 48, base + 16 + 14 + 28, base + 4 + 14 + 28, base + 28 + 14 + 28, base + 4 + 14 + 28,
        ])
        #expect(run.segments.allSatisfy { $0.payload == Self.message })

        let cut = NetTest.run(frames: [outer([0x30, 0x00, 0x08, 0x00, 0, 0, 0, 0])])
        #expect(cut.counters.malformedReasons == ["short gre header": 1])
    }

    @Test func vxlanCarriesInnerEthernet() {
        let inner = P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 17, P.udp(5060, 5060, Self.message)))
        let frame = P.ethernet(0x0800, P.ipv4(0x0101_0101, 0x0202_0202, proto: 17, P.udp(50000, 4789, [0x08, 0, 0, 0, 0, 0, 1, 0] + inner)))
        let run = NetTest.run(frames: [frame])
        #expect(run.segments.map(\.payloadOffsetInFrame) == [42 + 8 + 42])
        #expect(run.segments.first?.source.description == "10.0.0.1:5060")
    }

    // MARK: SCTP

    @Test func sctpChunks() {
        func data(_ tsn: UInt32, flags: UInt8, stream: UInt16 = 0, _ user: [UInt8]) -> [UInt8] {
            let chunk = [0, flags] + P.be16(UInt16(16 + user.count)) + P.be32(tsn) + P.be16(stream) + [0, 0] + P.be32(0) + user
            return chunk + [UInt8](repeating: 0, count: (4 - chunk.count % 4) % 4)
        }
        let common = P.be16(5060) + P.be16(5061) + P.be32(1) + P.be32(0)
        let sack: [UInt8] = [3, 0, 0, 16] + [UInt8](repeating: 0, count: 12)
        func frame(_ chunks: [UInt8]) -> [UInt8] { P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 132, common + chunks)) }
        let run = NetTest.run(frames: [
            frame(sack + data(1, flags: 3, P.bytes("one")) + data(2, flags: 3, P.bytes("two!"))),
            frame(data(3, flags: 2, P.bytes("th"))),
            frame(data(4, flags: 0, P.bytes("re"))),
            frame(data(5, flags: 1, P.bytes("e"))),
            frame(sack),
            frame(data(2, flags: 3, P.bytes("two!"))),  // sent again
            frame(data(4, flags: 0, P.bytes("re"))),
            frame(data(9, flags: 1, P.bytes("orphan end"))),
            frame([0, 3, 0, 2]),
            frame([0, 3, 0, 200]),
        ])
        #expect(run.segments.map(\.text) == ["one", "two!", "three"])
        #expect(run.segments.map(\.frameNumber) == [1, 1, 4])
        #expect(run.segments.map(\.payloadOffsetInFrame) == [34 + 12 + 16 + 16, 34 + 12 + 16 + 20 + 16, nil])
        #expect(run.counters.ignored == 3)
        #expect(run.counters.malformedReasons == [
            "incomplete sctp message": 1, "bad sctp chunk length": 1, "truncated sctp chunk": 1,
        ])
    }

    /// Fragments in any order (a lost chunk sent again comes after the ones behind it), two
    /// streams' messages one after the other, across TSN wrap-around; what never completes is
    /// counted once per message at the end, and a message over the size cap is refused.
    @Test func sctpFragmentsJoinInAnyOrder() {
        func data(_ tsn: UInt32, flags: UInt8, stream: UInt16 = 0, _ user: String) -> [UInt8] {
            let bytes = P.bytes(user)
            let chunk = [0, flags] + P.be16(UInt16(16 + bytes.count)) + P.be32(tsn) + P.be16(stream) + [0, 0] + P.be32(0) + bytes
            return chunk + [UInt8](repeating: 0, count: (4 - chunk.count % 4) % 4)
        }
        let common = P.be16(5060) + P.be16(5061) + P.be32(1) + P.be32(0)
        func frame(_ chunks: [UInt8]) -> [UInt8] { P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 132, common + chunks)) }
        var limits = NetworkLimits()
        limits.maximumSCTPMessageBytes = 12
        let run = NetTest.run(frames: [
            frame(data(10, flags: 2, "hel")),
            frame(data(12, flags: 1, "!")),
            frame(data(0xFFFF_FFFF, flags: 2, stream: 3, "wr")),
            frame(data(11, flags: 0, "lo")),  // the lost one, sent again
            frame(data(1, flags: 1, stream: 3, "ap")),
            frame(data(0, flags: 0, stream: 3, "-a-")),
            frame(data(20, flags: 0, "mid")),  // its B and E never come
            frame(data(30, flags: 2, "longer th")),
            frame(data(31, flags: 1, "an twelve")),  // 18 bytes joined: over the cap
            frame(data(40, flags: 2, stream: 1, "x")),  // B of stream 1, then E of stream 2:
            frame(data(41, flags: 1, stream: 2, "y")),  // not one message,
            frame(data(51, flags: 1, stream: 2, "y")),  // in either order
            frame(data(50, flags: 2, stream: 1, "x")),
            frame(data(60, flags: 2, "0123456789")),  // over the cap at its second piece:
            frame(data(61, flags: 0, "0123456789")),  // given up once, the rest with it
            frame(data(62, flags: 0, "0123456789")),
            frame(data(63, flags: 1, "0123456789")),
        ], limits: limits)
        #expect(run.segments.map(\.text) == ["hello!", "wr-a-ap"])
        #expect(run.segments.allSatisfy { $0.payloadOffsetInFrame == nil })
        #expect(run.counters.malformedReasons == ["incomplete sctp message": 7])
    }

    /// Fragments that never complete are given up oldest first beyond the cap (16 a direction
    /// per partial message allowed), each of their messages counted once; later messages join.
    @Test func sctpFragmentsBeyondTheCapAreGivenUpOldestFirst() {
        var r = SCTPReassembler(limits: { var l = NetworkLimits(); l.maximumSCTPPartialMessages = 1; return l }())
        let a = FlowKey(Endpoint(address: .v4(1), port: 1), Endpoint(address: .v4(2), port: 2))
        var given = 0
        for tsn: UInt32 in 100..<140 {
            // Each its own message: neighbours are on other streams.
            let outcome = [UInt8(1)].withUnsafeBytes {
                r.add(a, tsn: tsn, stream: UInt16(tsn % 2), begin: false, end: false, $0, dropped: &given)
            }
            guard case .pending = outcome else { Issue.record("tsn \(tsn) gave \(outcome)"); return }
        }
        #expect(given > 0 && given < 40)
        var joined: [UInt8] = []
        for (tsn, piece) in [(UInt32(139 + 2), "tail"), (139 + 1, "head")] {
            let outcome = Array(piece.utf8).withUnsafeBytes {
                r.add(a, tsn: tsn, stream: 7, begin: piece == "head", end: piece == "tail", $0, dropped: &given)
            }
            if case .complete(let bytes) = outcome { joined = bytes }
        }
        #expect(String(decoding: joined, as: UTF8.self) == "headtail")
        #expect(given + r.removeAll() == 40)
    }

    /// A hostile sender: a B, then a hundred thousand one-byte middle fragments that never end
    /// (and empty ones, which carry nothing): what is held stays under the caps, and a message
    /// sent after it still joins. Out-of-order arrivals behind the newest TSN do not make the
    /// newest runs look oldest.
    @Test func sctpFragmentsFromAHostileSenderStayBounded() {
        var r = SCTPReassembler(limits: NetworkLimits())
        let a = FlowKey(Endpoint(address: .v4(1), port: 1), Endpoint(address: .v4(2), port: 2))
        var given = 0
        _ = [UInt8]([1]).withUnsafeBytes { r.add(a, tsn: 0, stream: 0, begin: true, end: false, $0, dropped: &given) }
        var mostHeld = 0
        for tsn: UInt32 in 1...100_000 {
            let outcome = [UInt8]([1]).withUnsafeBytes { r.add(a, tsn: tsn, stream: 0, begin: false, end: false, $0, dropped: &given) }
            guard case .pending = outcome else { Issue.record("tsn \(tsn): \(outcome)"); return }
            mostHeld = max(mostHeld, r.heldFragments)
        }
        #expect(mostHeld <= r.maximumFragments && r.heldBytes <= r.maximumWaitingBytes)
        #expect(given > 0)
        let empty = [UInt8]().withUnsafeBytes { r.add(a, tsn: 200_001, stream: 0, begin: false, end: false, $0, dropped: &given) }
        guard case .broken = empty else { Issue.record("an empty fragment was kept"); return }
        var joined: [UInt8] = []
        for (tsn, begin) in [(UInt32(300_001), false), (300_000, true)] {
            let outcome = Array((begin ? "B" : "E").utf8).withUnsafeBytes {
                r.add(a, tsn: tsn, stream: 2, begin: begin, end: !begin, $0, dropped: &given)
            }
            if case .complete(let bytes) = outcome { joined = bytes }
        }
        #expect(String(decoding: joined, as: UTF8.self) == "BE")
    }

    /// A flood of new directions, each with one tiny piece that never completes, does not push
    /// out a long message arriving meanwhile on another association; it is given up in its place.
    @Test func sctpFragmentsOfAFloodOfDirectionsGoBeforeALongMessage() {
        var r = SCTPReassembler(limits: NetworkLimits())
        let legit = FlowKey(Endpoint(address: .v4(1), port: 5060), Endpoint(address: .v4(2), port: 5060))
        var given = 0
        let piece = [UInt8](repeating: 0x41, count: 60_000)
        _ = piece.withUnsafeBytes { r.add(legit, tsn: 7, stream: 0, begin: true, end: false, $0, dropped: &given) }
        for k in 0..<40_000 {
            let flood = FlowKey(Endpoint(address: .v4(UInt32(0x0a00_0000 + k)), port: 1), Endpoint(address: .v4(2), port: 5060))
            _ = [UInt8]([1]).withUnsafeBytes { r.add(flood, tsn: 1, stream: 0, begin: true, end: false, $0, dropped: &given) }
        }
        #expect(given > 0 && r.heldFragments <= r.maximumFragments)
        let outcome = piece.withUnsafeBytes { r.add(legit, tsn: 8, stream: 0, begin: false, end: true, $0, dropped: &given) }
        guard case .complete(let message) = outcome else { Issue.record("the long message was lost: \(outcome)"); return }
        #expect(message.count == 120_000)
    }

    /// Which TSNs count as seen: the highest, and up to 64 below it, across wrap-around.
    @Test func sctpRetransmissionsAreToldByTSN() {
        var r = SCTPReassembler(limits: NetworkLimits())
        let a = FlowKey(Endpoint(address: .v4(1), port: 1), Endpoint(address: .v4(2), port: 2))
        let b = FlowKey(Endpoint(address: .v4(2), port: 2), Endpoint(address: .v4(1), port: 1))
        let first: [UInt32] = [0xFFFF_FFF0, 0xFFFF_FFF2, 0xFFFF_FFF1, 3, 0xFFFF_FFF5]
        #expect(first.map { r.isRepeat(a, tsn: $0) } == [false, false, false, false, false])
        #expect(first.map { r.isRepeat(a, tsn: $0) } == [true, true, true, true, true])
        #expect(r.isRepeat(b, tsn: 3) == false)  // the other direction counts apart
        #expect(r.isRepeat(a, tsn: 3 &+ 64) == false)
        #expect(r.isRepeat(a, tsn: 3) == true)  // 64 below the highest: still remembered
        #expect(r.isRepeat(a, tsn: 0xFFFF_FFF5) == false)  // further back: let through
    }
}
