/// Decodes HEP v1, v2 and v3 from one datagram or one framed stream message.
/// The layout and every sender quirk handled here are described in docs/hep-reference.md.
public enum HEPDecoder {
    /// Largest payload an inflated chunk 0x10 may grow to.
    public static let inflateLimit = 1 << 20

    /// Cheap content sniffing: "HEP3", or the weak v1/v2 signature (version, family, length).
    public static func looksLikeHEP(_ bytes: UnsafeRawBufferPointer, allowV1V2: Bool) -> Bool {
        if bytes.count >= 6, bytes.hasBytes("HEP3") { return true }
        guard allowV1V2, bytes.count >= 16 else { return false }
        let v = bytes[0]
        return (v == 1 || v == 2) && [2, 10, 24, 28, 30].contains(bytes[2])
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(HEPDecodeError) -> HEPPacket {
        var packet = HEPPacket(version: 0)
        try decode(bytes, into: &packet)
        return packet
    }

    /// Like `decode(_:)`, into `packet` (whatever it held is replaced; after a throw it holds
    /// nothing of use). For the decoder's every-packet path: a packet is 200 bytes, and
    /// returned from the decoding function it was copied three times on the way out.
    public static func decode(_ bytes: UnsafeRawBufferPointer, into packet: inout HEPPacket) throws(HEPDecodeError) {
        guard bytes.count >= 4 else { throw .notHEP }
        if bytes.hasBytes("HEP3") || bytes.hasBytes("EEP3") { return try decodeV3(bytes, into: &packet) }
        if bytes[0] == 1 || bytes[0] == 2 { packet = try decodeV1V2(bytes); return }
        throw .notHEP
    }

    // MARK: v1 / v2

    static func decodeV1V2(_ b: UnsafeRawBufferPointer) throws(HEPDecodeError) -> HEPPacket {
        var p = HEPPacket(version: b[0])
        guard b.count >= 16 else { throw .truncated("HEPv\(p.version) header truncated") }
        p.ipFamily = b[2]
        p.ipProtocol = b[3]
        let srcPort = b.be16(4), dstPort = b.be16(6)
        let isV6 = b[2] != 2
        let addressBytes = isV6 ? 32 : 8
        // The length byte differs between senders; the payload offset is computed instead.
        var offset = 8 + addressBytes
        guard b.count >= offset else { throw .truncated("HEPv\(p.version) addresses truncated") }
        let half = addressBytes / 2
        p.source = Endpoint(address: IPAddress(bytes: b.slice(8..<8 + half))!, port: srcPort)
        p.destination = Endpoint(address: IPAddress(bytes: b.slice(8 + half..<offset))!, port: dstPort)
        if p.version == 2 {
            guard b.count >= offset + 12 else { throw .truncated("HEPv2 time header truncated") }
            // The time header is little-endian and padded to 12 bytes by every C sender.
            var sec = b.le32(offset), usec = b.le32(offset + 4)
            var capture = UInt32(b.le16(offset + 8))
            if usec >= 1_000_000 {
                // Implausible as little-endian: a sender that used network order.
                sec = b.be32(offset); usec = b.be32(offset + 4); capture = UInt32(b.be16(offset + 8))
            }
            if sec != 0 || usec != 0 {
                p.timestamp = Timestamp(seconds: Int64(sec), microseconds: Int64(usec % 1_000_000))
            }
            p.captureID = capture
            offset += 12
        }
        p.payload = offset..<b.count
        return p
    }

    // MARK: v3

    static func decodeV3(_ b: UnsafeRawBufferPointer, into p: inout HEPPacket) throws(HEPDecodeError) {
        guard b.count >= 6 else { throw .truncated("HEP3 header truncated") }
        let total = Int(b.be16(4))
        guard total >= 6 else { throw .invalid("HEP3 length below 6") }
        guard total <= b.count else { throw .truncated("HEP3 length past end of packet") }
        p = HEPPacket(version: 3)
        p.trailingBytes = b.count - total
        var src4: UInt32?, dst4: UInt32?
        var src6: IPAddress?, dst6: IPAddress?
        var srcPort: UInt16 = 0, dstPort: UInt16 = 0
        var seconds: UInt32 = 0, micros: UInt32 = 0
        var compressed: Range<Int>?
        var offset = 6
        while offset < total {
            guard offset + 6 <= total else { throw .truncated("HEP3 chunk header truncated") }
            let vendor = b.be16(offset), type = b.be16(offset + 2)
            let length = Int(b.be16(offset + 4))
            guard length >= 6 else { throw .invalid("HEP3 chunk length below 6") }
            guard offset + length <= total else { throw .truncated("HEP3 chunk runs past packet") }
            let body = offset + 6..<offset + length
            offset += length
            // Vendor chunks are private; an empty body means "absent" (Asterisk, hep-js send them).
            guard vendor == 0, !body.isEmpty else { continue }
            let n = body.count, at = body.lowerBound
            switch type {
            case 0x01: if n == 1 { p.ipFamily = b[at] }
            case 0x02: if n == 1 { p.ipProtocol = b[at] }
            case 0x03: if n == 4 { src4 = b.be32(at) }
            case 0x04: if n == 4 { dst4 = b.be32(at) }
            case 0x05: if n == 16 { src6 = IPAddress(bytes: b.slice(body)) }
            case 0x06: if n == 16 { dst6 = IPAddress(bytes: b.slice(body)) }
            case 0x07: if n == 2 { srcPort = b.be16(at) }
            case 0x08: if n == 2 { dstPort = b.be16(at) }
            case 0x09: if n == 4 { seconds = b.be32(at) }
            case 0x0a: if n == 4 { micros = b.be32(at) }
            case 0x0b: if n == 1 { p.payloadType = b[at] }
            case 0x0c: if n == 4 { p.captureID = b.be32(at) }
            case 0x0e: p.authKey = trimmingNULs(body, in: b)
            case 0x0f: p.payload = body
            case 0x10: compressed = body
            case 0x11: p.correlationID = trimmingNULs(body, in: b)
            case 0x12: if n == 2 { p.vlanID = b.be16(at) }
            case 0x13: p.nodeName = trimmingNULs(body, in: b)
            case 0x0d: if n == 2 { p.extras.keepAliveSeconds = b.be16(at) }
            case 0x14, 0x15:
                // A 48-bit MAC, sent in 6 bytes or (hepagent.rs) in an 8-byte field.
                guard n == 6 || n == 8 else { break }
                var mac: UInt64 = 0
                for i in body.suffix(6) { mac = mac << 8 | UInt64(b[i]) }
                if type == 0x14 { p.extras.sourceMAC = mac } else { p.extras.destinationMAC = mac }
            case 0x16: if n == 2 { p.extras.ethernetType = b.be16(at) }
            case 0x17: if n == 1 { p.extras.tcpFlags = UInt16(b[at]) } else if n == 2 { p.extras.tcpFlags = b.be16(at) }
            case 0x18: if n == 1 { p.extras.ipTOS = b[at] }
            case 0x20: if n == 2 { p.extras.mos = b.be16(at) }
            case 0x21: if n == 2 { p.extras.rFactor = b.be16(at) }
            case 0x22: p.extras.geoLocation = trimmingNULs(body, in: b)
            case 0x23: if n == 4 { p.extras.jitter = b.be32(at) }
            case 0x24: p.extras.transactionType = trimmingNULs(body, in: b)
            case 0x25: p.extras.payloadJSONKeys = trimmingNULs(body, in: b)
            case 0x26: p.extras.tagValues = trimmingNULs(body, in: b)
            case 0x27: if n == 2 { p.extras.tagType = b.be16(at) }
            case 0x28: if n == 2 { p.extras.eventType = b.be16(at) }
            case 0x29: p.extras.groupID = trimmingNULs(body, in: b)
            case 0x65: p.extras.extraCorrelation = trimmingNULs(body, in: b)
            default: break  // reserved or unknown: skipped by length
            }
        }
        // The address chunks present decide the family: the family byte is the sender's OS value.
        if let s = src6 { p.source.address = s } else if let s = src4 { p.source.address = .v4(s) }
        if let d = dst6 { p.destination.address = d } else if let d = dst4 { p.destination.address = .v4(d) }
        p.source.port = srcPort
        p.destination.port = dstPort
        if seconds != 0 || micros != 0 {
            // Asterisk's pjsip path has been seen sending milliseconds × 1000 past a second.
            p.timestamp = Timestamp(seconds: Int64(seconds) + Int64(micros / 1_000_000),
                                    microseconds: Int64(micros % 1_000_000))
        }
        if p.payload == nil, let c = compressed {
            do {
                p.inflatedPayload = try Inflate.inflate(b.slice(c), limit: inflateLimit, allowRaw: true)
                p.payload = nil
            } catch .tooLarge {
                throw .invalid("HEP3 compressed payload too large")
            } catch {
                throw .invalid("HEP3 compressed payload corrupt")
            }
        }
    }

    /// String chunks are not NUL-terminated on the wire, but some senders pad them.
    private static func trimmingNULs(_ r: Range<Int>, in b: UnsafeRawBufferPointer) -> Range<Int>? {
        var end = r.upperBound
        while end > r.lowerBound, b[end - 1] == 0 { end -= 1 }
        return end > r.lowerBound ? r.lowerBound..<end : nil
    }
}
