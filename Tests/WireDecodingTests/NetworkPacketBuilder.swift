import WireDecoding

/// Builds packets byte by byte for the synthetic network-layer tests. Checksums are left 0:
/// the dissector does not verify them.
enum NetPacket {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

    static let macs: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]

    /// Ethernet II; each tag is (tag protocol id, VLAN id), written outermost first.
    static func ethernet(_ type: UInt16, tags: [(UInt16, UInt16)] = [], _ payload: [UInt8]) -> [UInt8] {
        var out = macs
        for (tpid, vid) in tags { out += be16(tpid) + be16(vid) }
        return out + be16(type) + payload
    }

    static func ipv4(
        _ source: UInt32, _ destination: UInt32, proto: UInt8, id: UInt16 = 0x1234,
        moreFragments: Bool = false, offset8: UInt16 = 0, totalLength: Int? = nil, _ payload: [UInt8]
    ) -> [UInt8] {
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | (offset8 & 0x1fff)
        return [0x45, 0] + be16(UInt16(totalLength ?? 20 + payload.count)) + be16(id) + be16(flags)
            + [64, proto] + [0, 0] + be32(source) + be32(destination) + payload
    }

    static func v6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [last] }

    static func ipv6(_ source: [UInt8], _ destination: [UInt8], next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [next, 64] + source + destination + payload
    }

    static func udp(_ sourcePort: UInt16, _ destinationPort: UInt16, length: Int? = nil, _ payload: [UInt8]) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(length ?? 8 + payload.count)) + [0, 0] + payload
    }

    static func tcp(_ sourcePort: UInt16, _ destinationPort: UInt16, seq: UInt32, flags: UInt8 = 0x18, _ payload: [UInt8]) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be32(seq) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let clientIP: UInt32 = 0x0a00_0001  // 10.0.0.1
    static let serverIP: UInt32 = 0x0a00_0002  // 10.0.0.2

    /// Ethernet / IPv4 / UDP 10.0.0.1:5060 -> 10.0.0.2:5060.
    static func udpFrame(_ payload: [UInt8]) -> [UInt8] {
        ethernet(0x0800, ipv4(clientIP, serverIP, proto: 17, udp(5060, 5060, payload)))
    }

    /// Ethernet / IPv4 / TCP 10.0.0.1:40000 -> 10.0.0.2:5060.
    static func tcpFrame(seq: UInt32, flags: UInt8 = 0x18, _ payload: [UInt8], sourcePort: UInt16 = 40000) -> [UInt8] {
        ethernet(0x0800, ipv4(clientIP, serverIP, proto: 6, tcp(sourcePort, 5060, seq: seq, flags: flags, payload)))
    }
}

extension NetTest {
    /// Runs hand-built frames, numbered from 1, one second apart.
    static func run(
        frames: [[UInt8]], linkType: UInt32 = 1, limits: NetworkLimits = .init(), finish: Bool = true,
        spacing: Int64 = 1_000_000_000, reportsConnectionEnds: Bool = false
    ) -> NetTestRun {
        let list = frames.enumerated().map { i, data in
            NetTestFrame(number: i + 1, linkType: linkType, timestamp: Timestamp(nanoseconds: Int64(i) * spacing), data: data)
        }
        return run(list, limits: limits, finish: finish, reportsConnectionEnds: reportsConnectionEnds)
    }
}
