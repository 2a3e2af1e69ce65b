import Testing
import TestSupport
@testable import WireDecoding

/// Random and mutated frames through every link type. Nothing may trap; every payload that
/// claims to be a slice of the frame must really be one.
@Suite struct NetworkFuzzTests {
    /// SplitMix64: fixed seed, so any failure replays the same way.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    }

    static let linkTypes: [UInt32] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 147]

    /// Seed frames: real ones plus hand-built tunnels, fragments and SCTP.
    static func seeds() throws -> [(link: UInt32, data: [UInt8])] {
        var seeds: [(link: UInt32, data: [UInt8])] = []
        for name in ["sip-plain-udp.pcap", "sip-plain-tcp.pcap"] {
            seeds += try NetTestCapture.load(Fixtures.kamailio(name)).prefix(60).map { ($0.linkType, $0.data) }
        }
        if Fixtures.publicCapturesFolder != nil {
            for name in ["sngrep_ipv6frag.pcap", "sngrep_ipip.pcap", "heplify_sip_sctp.pcap", "heplify_erspan_sip_ipv4_udp.pcapng"] {
                if let url = Fixtures.publicCapture(name) { seeds += try NetTestCapture.load(url).prefix(20).map { ($0.linkType, $0.data) } }
            }
        }
        let udp = NetPacket.udp(5060, 5060, Array("INVITE sip:a SIP/2.0\r\n\r\n".utf8))
        seeds.append((1, NetPacket.ethernet(0x0800, NetPacket.ipv4(1, 2, proto: 47, [0xb0, 0, 0x88, 0xbe] + [UInt8](repeating: 0, count: 20) + NetPacket.udpFrame(udp)))))
        seeds.append((1, NetPacket.ethernet(0x86DD, NetPacket.ipv6(NetPacket.v6(1), NetPacket.v6(2), next: 44, [17, 0, 0, 1, 0, 0, 0, 1] + udp))))
        seeds.append((1, NetPacket.ethernet(0x0800, NetPacket.ipv4(1, 2, proto: 17, moreFragments: true, udp))))
        seeds.append((1, NetPacket.ethernet(0x0800, NetPacket.ipv4(1, 2, proto: 17, P.udp(1, 4789, [8, 0, 0, 0, 0, 0, 0, 0] + NetPacket.udpFrame(udp))))))
        seeds.append((1, NetPacket.tcpFrame(seq: 7, flags: 0x02, [])))
        return seeds
    }
    typealias P = NetPacket

    @Test func randomAndMutatedFramesNeverTrap() throws {
        let seeds = try Self.seeds()
        var random = Random(state: 0x5eed)
        var limits = NetworkLimits()
        limits.maximumTCPBufferedBytes = 4096
        limits.maximumTCPFlows = 64
        limits.maximumPendingFragmentKeys = 16
        limits.maximumSCTPPartialMessages = 8
        var dissectors = [NetworkDissector(), NetworkDissector(limits: limits)]
        var counters = DecodeCounters()
        var emitted = 0
        for i in 0..<20_000 {
            var frame: [UInt8]
            var ownLink: UInt32 = 1
            if i % 4 == 0 {
                frame = (0..<random.below(200)).map { _ in random.byte() }
            } else {
                let seed = seeds[random.below(seeds.count)]
                frame = seed.data
                ownLink = seed.link
                for _ in 0..<(1 + random.below(6)) where !frame.isEmpty {
                    switch random.below(4) {
                    case 0: frame[random.below(frame.count)] = random.byte()
                    case 1: frame.removeLast(random.below(frame.count + 1))
                    case 2:  // a length-looking field set to something extreme
                        let at = random.below(max(1, frame.count - 1))
                        if at + 1 < frame.count { frame[at] = [0, 0xff, 0x80][random.below(3)]; frame[at + 1] = random.byte() }
                    default: frame.insert(contentsOf: (0..<random.below(8)).map { _ in random.byte() }, at: random.below(frame.count))
                    }
                }
            }
            // Usually the frame's own link type, sometimes any other.
            let link = i % 3 == 0 ? Self.linkTypes[random.below(Self.linkTypes.count)] : ownLink
            let timestamp = Timestamp(nanoseconds: i % 50 == 0 ? Int64(bitPattern: random.next()) : Int64(i) * 1_000_000)
            let which = i & 1
            frame.withUnsafeBytes { raw in
                dissectors[which].dissect(linkType: link, frame: raw, timestamp: timestamp, frameNumber: i, counters: &counters) { s in
                    emitted += 1
                    if let offset = s.payloadOffsetInFrame {
                        #expect(offset >= 0 && offset + s.payload.count <= raw.count)
                        #expect(s.payload.baseAddress == raw.baseAddress! + offset)
                    }
                }
            }
        }
        for i in dissectors.indices { dissectors[i].finish(counters: &counters) { _ in emitted += 1 } }
        #expect(emitted > 1000)
        #expect(counters.malformed > 1000)
    }

    @Test func everyPrefixOfEverySeed() throws {
        // Every cut of a valid frame: the classic source of reads past the end.
        var counters = DecodeCounters()
        var dissector = NetworkDissector()
        for seed in try Self.seeds() {
            for cut in 0...seed.data.count {
                let frame = Array(seed.data.prefix(cut))
                for link in Self.linkTypes {
                    frame.withUnsafeBytes { raw in
                        dissector.dissect(linkType: link, frame: raw, timestamp: .zero, frameNumber: 0, counters: &counters) { _ in }
                    }
                }
            }
        }
        #expect(counters.malformed > 0)
    }
}
