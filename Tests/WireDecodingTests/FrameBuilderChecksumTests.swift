import Testing
@testable import WireDecoding

/// Frames made up by save (messages with no frame of their own, --decapsulate) carry correct
/// UDP and TCP checksums: a zero UDP checksum is illegal over IPv6, and tools flag wrong ones.
@Suite struct FrameBuilderChecksumTests {
    /// The ones' complement sum of the pseudo-header and the segment, checksum included:
    /// 0xffff when the checksum is right.
    static func verifies(_ frame: [UInt8], v6: Bool) -> Bool {
        let ip = Array(frame.dropFirst(14))
        let (headerLength, proto, src, dst) = v6
            ? (40, ip[6], Array(ip[8..<24]), Array(ip[24..<40]))
            : (Int(ip[0] & 0x0f) * 4, ip[9], Array(ip[12..<16]), Array(ip[16..<20]))
        let segment = Array(ip[headerLength...])
        let length = segment.count
        let pseudo = v6 ? src + dst + [0, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 0, proto]
                        : src + dst + [0, proto, UInt8(length >> 8), UInt8(length & 0xff)]
        var sum = 0
        let all = pseudo + segment + (segment.count % 2 == 1 ? [0] : [])
        for i in stride(from: 0, to: all.count, by: 2) { sum += Int(all[i]) << 8 | Int(all[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return sum == 0xffff
    }

    @Test(arguments: [false, true])
    func udpAndTCPChecksumsAreRight(v6: Bool) {
        let a = v6 ? Endpoint(address: .v6(high: 0x2001_0db8_0000_0000, low: 1), port: 5060) : Endpoint(address: .v4(0xc000_020a), port: 5060)
        let b = v6 ? Endpoint(address: .v6(high: 0x2001_0db8_0000_0000, low: 2), port: 5080) : Endpoint(address: .v4(0xc000_0214), port: 5080)
        for payload in [Array("OPTIONS sip:b SIP/2.0\r\n\r\n".utf8), Array("odd".utf8), []] {
            let udp = FrameBuilder.udp(from: a, to: b, payload: payload)
            #expect(Self.verifies(udp, v6: v6), "udp \(payload.count)")
            #expect(udp[14 + (v6 ? 40 : 20) + 6] != 0 || udp[14 + (v6 ? 40 : 20) + 7] != 0)
            #expect(Self.verifies(FrameBuilder.tcp(from: a, to: b, sequence: 7, payload: payload), v6: v6), "tcp \(payload.count)")
        }
    }
}
