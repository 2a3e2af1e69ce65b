/// Writes classic pcap (little-endian, microsecond or nanosecond timestamps). Used to record
/// what was received live and to build test captures; the output is what libpcap writes.
public struct PcapWriter {
    public private(set) var bytes: [UInt8] = []
    public let nanosecond: Bool

    public init(linkType: UInt32 = 1, snapLength: UInt32 = 262_144, nanosecond: Bool = false) {
        self.nanosecond = nanosecond
        put32(nanosecond ? 0xa1b2_3c4d : 0xa1b2_c3d4)
        put16(2); put16(4)
        put32(0); put32(0)
        put32(snapLength)
        put32(linkType)
    }

    /// Appends one record; `originalLength` defaults to the captured length.
    public mutating func append(_ frame: [UInt8], time: Timestamp, originalLength: Int? = nil) {
        let unit: Int64 = nanosecond ? 1 : 1000
        let (seconds, nanoseconds) = time.secondsAndNanoseconds
        let fraction = nanoseconds / unit
        put32(UInt32(truncatingIfNeeded: seconds))
        put32(UInt32(truncatingIfNeeded: fraction))
        put32(UInt32(frame.count))
        put32(UInt32(originalLength ?? frame.count))
        bytes += frame
    }

    /// A record header for a microsecond file, for writers that stream records themselves.
    public static func recordHeader(time: Timestamp, length: Int) -> [UInt8] {
        var w = PcapWriter()
        w.bytes.removeAll()
        let (seconds, nanoseconds) = time.secondsAndNanoseconds
        w.put32(UInt32(truncatingIfNeeded: seconds))
        w.put32(UInt32(truncatingIfNeeded: nanoseconds / 1000))
        w.put32(UInt32(length))
        w.put32(UInt32(length))
        return w.bytes
    }

    private mutating func put16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    private mutating func put32(_ v: UInt32) {
        bytes += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }
}

/// Builds Ethernet/IPv4 or IPv6 frames around a UDP or TCP payload, with a correct IPv4 header
/// checksum, so that what we write opens cleanly in Wireshark.
public enum FrameBuilder {
    public static func udp(from src: Endpoint, to dst: Endpoint, payload: [UInt8]) -> [UInt8] {
        var udp: [UInt8] = []
        udp += be16(src.port) + be16(dst.port) + be16(UInt16(truncatingIfNeeded: 8 + payload.count)) + [0, 0]
        udp += payload
        return ip(src.address, dst.address, protocol: 17, body: udp)
    }

    public static func tcp(from src: Endpoint, to dst: Endpoint, sequence: UInt32, acknowledgement: UInt32 = 0,
                           flags: UInt8 = 0x18, payload: [UInt8]) -> [UInt8] {
        var tcp: [UInt8] = []
        tcp += be16(src.port) + be16(dst.port) + be32(sequence) + be32(acknowledgement)
        tcp += [0x50, flags] + be16(65535) + [0, 0, 0, 0]
        tcp += payload
        return ip(src.address, dst.address, protocol: 6, body: tcp)
    }

    /// One SCTP packet with one complete DATA chunk (B and E flags set), CRC32c included.
    public static func sctp(from src: Endpoint, to dst: Endpoint, tsn: UInt32, streamSequence: UInt16,
                            payload: [UInt8], ppid: UInt32 = 0) -> [UInt8] {
        var packet: [UInt8] = be16(src.port) + be16(dst.port) + be32(1) + [0, 0, 0, 0]
        let chunkLength = 16 + payload.count
        packet += [0, 0x03] + be16(UInt16(truncatingIfNeeded: chunkLength)) + be32(tsn) + be16(0) + be16(streamSequence) + be32(ppid)
        packet += payload + [UInt8](repeating: 0, count: (4 - chunkLength % 4) % 4)
        // RFC 4960 appendix B: CRC32c over the packet with a zero checksum field, stored little-endian.
        let crc = crc32c(packet)
        packet[8] = UInt8(crc & 0xff); packet[9] = UInt8((crc >> 8) & 0xff)
        packet[10] = UInt8((crc >> 16) & 0xff); packet[11] = UInt8(crc >> 24)
        return ip(src.address, dst.address, protocol: 132, body: packet)
    }

    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82f6_3b78 : crc >> 1 }
        }
        return ~crc
    }

    static func ip(_ src: IPAddress, _ dst: IPAddress, protocol proto: UInt8, body body0: [UInt8]) -> [UInt8] {
        let ethernetV4: [UInt8] = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]
        let ethernetV6: [UInt8] = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x86, 0xdd]
        let body = withTransportChecksum(src, dst, protocol: proto, body0)
        switch (src, dst) {
        case (.v4(let s), .v4(let d)):
            var h: [UInt8] = [0x45, 0] + be16(UInt16(truncatingIfNeeded: 20 + body.count)) + [0, 0, 0x40, 0, 64, proto, 0, 0]
            h += be32(s) + be32(d)
            var sum: UInt32 = 0
            for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            h[10] = UInt8(checksum >> 8); h[11] = UInt8(checksum & 0xff)
            return ethernetV4 + h + body
        default:
            var h: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(truncatingIfNeeded: body.count)) + [proto, 64]
            h += v6bytes(src) + v6bytes(dst)
            return ethernetV6 + h + body
        }
    }

    /// UDP and TCP checksums over the pseudo-header (RFC 768, 9293, 8200 8.1): a zero UDP
    /// checksum is illegal over IPv6, and a wrong one is flagged by tools that check.
    static func withTransportChecksum(_ src: IPAddress, _ dst: IPAddress, protocol proto: UInt8, _ body: [UInt8]) -> [UInt8] {
        let at: Int
        switch proto {
        case 17: at = 6
        case 6: at = 16
        default: return body
        }
        guard body.count >= at + 2 else { return body }
        let pseudo: [UInt8]
        if case .v4(let s) = src, case .v4(let d) = dst {
            pseudo = be32(s) + be32(d) + [0, proto] + be16(UInt16(truncatingIfNeeded: body.count))
        } else {
            pseudo = v6bytes(src) + v6bytes(dst) + be32(UInt32(body.count)) + [0, 0, 0, proto]
        }
        // Words summed in 64 bits and folded once (the recorder checksums every live packet).
        func sum(_ bytes: [UInt8]) -> UInt64 {
            bytes.withUnsafeBufferPointer { b in
                var total: UInt64 = 0
                var i = 0
                while i + 1 < b.count { total &+= UInt64(b[i]) << 8 | UInt64(b[i + 1]); i += 2 }
                if i < b.count { total &+= UInt64(b[i]) << 8 }  // an odd last byte, padded with zero
                return total
            }
        }
        var total = sum(pseudo) &+ sum(body)
        while total > 0xffff { total = (total & 0xffff) + (total >> 16) }
        var checksum = ~UInt16(total)
        if proto == 17, checksum == 0 { checksum = 0xffff }
        var out = body
        out[at] = UInt8(checksum >> 8)
        out[at + 1] = UInt8(checksum & 0xff)
        return out
    }

    static func v6bytes(_ a: IPAddress) -> [UInt8] {
        switch a {
        case .v6(let hi, let lo): return be64(hi) + be64(lo)
        case .v4(let v): return [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + be32(v)  // IPv4-mapped
        }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }
    static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xffff_ffff)) }
}

/// Builds HEPv3 packets, chunk by chunk.
public struct HEPBuilder {
    private var chunks: [UInt8] = []

    public init() {}

    public mutating func chunk(_ type: UInt16, _ value: [UInt8], vendor: UInt16 = 0) {
        chunks += FrameBuilder.be16(vendor) + FrameBuilder.be16(type) + FrameBuilder.be16(UInt16(truncatingIfNeeded: 6 + value.count)) + value
    }

    /// A complete SIP-carrying packet in Kamailio's chunk order.
    public static func sip(_ payload: [UInt8], from src: Endpoint, to dst: Endpoint, time: Timestamp,
                           ipProtocol: UInt8 = 17, captureID: UInt32 = 1, correlationID: String? = nil,
                           payloadType: UInt8 = 1, nodeName: String? = nil) -> [UInt8] {
        var b = HEPBuilder()
        let v6 = src.address.isV6 || dst.address.isV6
        b.chunk(1, [v6 ? 10 : 2])
        b.chunk(2, [ipProtocol])
        if v6 {
            b.chunk(5, FrameBuilder.v6bytes(src.address)); b.chunk(6, FrameBuilder.v6bytes(dst.address))
        } else if case .v4(let s) = src.address, case .v4(let d) = dst.address {
            b.chunk(3, FrameBuilder.be32(s)); b.chunk(4, FrameBuilder.be32(d))
        }
        b.chunk(7, FrameBuilder.be16(src.port)); b.chunk(8, FrameBuilder.be16(dst.port))
        let seconds = time.nanoseconds / 1_000_000_000
        b.chunk(9, FrameBuilder.be32(UInt32(truncatingIfNeeded: seconds)))
        b.chunk(10, FrameBuilder.be32(UInt32(truncatingIfNeeded: (time.nanoseconds - seconds * 1_000_000_000) / 1000)))
        b.chunk(11, [payloadType])
        b.chunk(12, FrameBuilder.be32(captureID))
        if let c = correlationID { b.chunk(0x11, Array(c.utf8)) }
        if let n = nodeName { b.chunk(0x13, Array(n.utf8)) }
        b.chunk(15, payload)
        return b.packet()
    }

    public func packet() -> [UInt8] {
        Array("HEP3".utf8) + FrameBuilder.be16(UInt16(truncatingIfNeeded: 6 + chunks.count)) + chunks
    }
}
