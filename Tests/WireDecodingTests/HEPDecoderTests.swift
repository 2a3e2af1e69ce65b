import Testing
import TestSupport
import WireDecoding

@Suite struct HEPDecoderTests {
    /// The worked example of the HEP3 specification (rev 37, section 2.1), 113 bytes.
    static let specExample: [UInt8] = hex(
        "48455033 0071 0000 0001 0007 02 0000 0002 0007 11 0000 0003 000a d4ca0001 0000 0004 000a 527400d3"
            + " 0000 0007 0008 2eea 0000 0008 0008 13c4 0000 0009 000a 4e4982cb 0000 000a 000a 0001d4c0"
            + " 0000 000b 0007 01 0000 000c 000a 000000e4 0000 000f 0014")
        + Array("INVITE sip:bob".utf8)

    func decode(_ bytes: [UInt8]) throws -> HEPPacket {
        try bytes.withUnsafeBytes { try HEPDecoder.decode($0) }
    }

    func text(_ bytes: [UInt8], _ r: Range<Int>?) -> String? {
        bytes.withUnsafeBytes { $0.text(r) }
    }

    @Test func decodesTheSpecificationExample() throws {
        #expect(Self.specExample.count == 113)
        let p = try decode(Self.specExample)
        #expect(p.version == 3)
        #expect(p.source.description == "212.202.0.1:12010")
        #expect(p.destination.description == "82.116.0.211:5060")
        #expect(p.timestamp?.decimalSeconds == "1313440459.120000")
        #expect(p.payloadType == 1)
        #expect(p.captureID == 228)
        #expect(p.ipProtocol == 17)
        #expect(text(Self.specExample, p.payload) == "INVITE sip:bob")
    }

    @Test func decodesEveryKamailioPacketLikeTheTruth() throws {
        let packets = try Fixtures.rawHEPPackets()
        #expect(packets.count == 280)
        let truth = try Fixtures.truth("hep-kamailio-udp.truth.json")["messages"] as! [[String: Any]]
        for (packet, t) in zip(packets, truth) {
            let p = try decode(packet)
            #expect(p.source.description == t["src"] as? String)
            #expect(p.destination.description == t["dst"] as? String)
            #expect(text(packet, p.correlationID) == t["correlation_id"] as? String)
            #expect(p.captureID == 1)
            #expect(p.timestamp?.decimalSeconds == t["hep_ts"] as? String)
            #expect(Int(p.ipProtocol ?? 0) == t["hep_ip_proto"] as? Int)
        }
    }

    /// Everything a packet says, as one comparable text.
    func facts(_ p: HEPPacket) -> String {
        "\(p.version) \(String(describing: p.ipFamily)) \(String(describing: p.ipProtocol)) \(p.source) \(p.destination) "
            + "\(String(describing: p.timestamp?.decimalSeconds)) \(p.payloadType) \(String(describing: p.captureID)) "
            + "\(String(describing: p.correlationID)) \(String(describing: p.authKey)) \(String(describing: p.nodeName)) "
            + "\(String(describing: p.vlanID)) \(String(describing: p.payload)) \(String(describing: p.inflatedPayload)) "
            + "\(p.trailingBytes) \(p.extras)"
    }

    /// The decoder's own path decodes every packet into the same variable: whatever the packet
    /// before left there (another version, chunks this one lacks, extras, an inflated payload)
    /// must not show through, and a packet that fails leaves the next one unharmed.
    @Test func decodingIntoAUsedPacketIsDecodingAfresh() throws {
        var withExtras = Self.specExample
        // A vendor-0 chunk 0x0d (keep-alive seconds) and 0x13 (node name) after the payload.
        withExtras += hex("0000 000d 0008 001e 0000 0013 000a") + Array("node".utf8)
        withExtras[4] = UInt8(withExtras.count >> 8); withExtras[5] = UInt8(withExtras.count & 0xff)
        let v2 = hex("02 10 02 11 13c4 13c4 0a000001 0a000002 01000000 02000000 0100 0000") + Array("OPTIONS sip:x".utf8)
        let kamailio = try Fixtures.rawHEPPackets().prefix(20)
        let sequence = [withExtras, Self.specExample, v2, Array(Self.specExample[0..<50]), Self.specExample]
            + Array(kamailio) + [v2, withExtras]
        var reused = HEPPacket(version: 0)
        var decoded = 0
        for bytes in sequence {
            let fresh = try? decode(bytes)
            let intoUsed: Void? = try? bytes.withUnsafeBytes { try HEPDecoder.decode($0, into: &reused) }
            #expect((fresh == nil) == (intoUsed == nil))
            if let fresh, intoUsed != nil {
                #expect(facts(reused) == facts(fresh))
                decoded += 1
            }
        }
        #expect(decoded == sequence.count - 1)
        #expect(try decode(withExtras).extras.keepAliveSeconds == 30)
        #expect(try decode(v2).version == 2)
    }

    @Test func everyPrefixOfARealPacketFailsCleanly() throws {
        let packet = try Fixtures.rawHEPPackets()[0]
        for cut in 0..<packet.count {
            #expect(throws: HEPDecodeError.self) { try decode(Array(packet[0..<cut])) }
        }
        #expect(try decode(packet).payload != nil)
    }

    @Test func trailingBytesAfterTheTotalLengthAreFlaggedNotFatal() throws {
        let p = try decode(Self.specExample + [0, 0, 0])
        #expect(p.trailingBytes == 3)
        #expect(text(Self.specExample, p.payload) == "INVITE sip:bob")
    }

    @Test func rejectsChunkLengthsThatCannotProgressOrOverrun() {
        var tooShort = Self.specExample
        tooShort[10] = 0; tooShort[11] = 5  // first chunk length 5 < 6
        #expect(throws: HEPDecodeError.invalid("HEP3 chunk length below 6")) { try decode(tooShort) }
        var overrun = Self.specExample
        overrun[10] = 0x01; overrun[11] = 0x00  // 256 bytes in a 113-byte packet
        #expect(throws: HEPDecodeError.truncated("HEP3 chunk runs past packet")) { try decode(overrun) }
        var totalTooBig = Self.specExample
        totalTooBig[5] = 0x80
        #expect(throws: HEPDecodeError.truncated("HEP3 length past end of packet")) { try decode(totalTooBig) }
    }

    @Test func emptyVendorAndDuplicateChunks() throws {
        // An empty correlation chunk (Asterisk sends one), a vendor chunk with a clashing type,
        // and a second capture-id chunk: the last generic one wins.
        let extra = hex("0000 0011 0006") + hex("0002 000c 000a 00000007") + hex("0000 000c 000a 000007d2")
        var bytes = Array(Self.specExample[0..<6]) + extra + Array(Self.specExample[6...])
        let total = bytes.count
        bytes[4] = UInt8(total >> 8); bytes[5] = UInt8(total & 0xff)
        let p = try decode(bytes)
        #expect(p.correlationID == nil)
        #expect(p.captureID == 228)  // the spec chunk comes after ours
        var reordered = Array(Self.specExample[0..<6]) + Array(Self.specExample[6...]) + extra
        reordered[4] = UInt8(total >> 8); reordered[5] = UInt8(total & 0xff)
        #expect(try decode(reordered).captureID == 2002)
    }

    @Test func sngrepCaptureIDIsShownAsConfigured() throws {
        var bytes = Self.specExample
        // sngrep writes htons(2002) into the 32-bit field: 2002 × 65536 on the wire.
        let wire = UInt32(2002) << 16
        let at = 6 + 7 + 7 + 10 + 10 + 8 + 8 + 10 + 10 + 7 + 6
        bytes[at] = UInt8(wire >> 24); bytes[at + 1] = UInt8((wire >> 16) & 0xff); bytes[at + 2] = 0; bytes[at + 3] = 0
        let p = try decode(bytes)
        #expect(p.captureID == 131_203_072)
        #expect(p.displayCaptureID == 2002)
    }

    @Test func inflatesCompressedPayloadChunk() throws {
        // INVITE text compressed with zlib (78 9c), put in chunk 0x10 instead of 0x0f.
        let compressed: [UInt8] = [0x78, 0x9c, 0xf3, 0xf4, 0x0b, 0xf3, 0x0c, 0x71, 0x55, 0x28, 0xce, 0x2c,
                                   0xb0, 0x4a, 0xca, 0x4f, 0x02, 0x00, 0x20, 0xfb, 0x04, 0xa9]
        var bytes = Array(Self.specExample[0..<(113 - 20)]) + hex("0000 0010") + [0, UInt8(6 + compressed.count)] + compressed
        bytes[4] = 0; bytes[5] = UInt8(bytes.count)
        let p = try decode(bytes)
        #expect(p.inflatedPayload.map { String(decoding: $0, as: UTF8.self) } == "INVITE sip:bob")
    }

    @Test func decodesHEPv1FromHeplifyServerVector() throws {
        // heplify-server decoder_test.go hepV2Packet: a HEPv1 header, then a SIP response.
        let sip = "SIP/2.0 200 OK\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\n\r\n"
        let bytes = hex("01 10 02 11 13c4 13c4 0a000164 c0a800fe") + Array(sip.utf8)
        let p = try decode(bytes)
        #expect(p.version == 1)
        #expect(p.source.description == "10.0.1.100:5060")
        #expect(p.destination.description == "192.168.0.254:5060")
        #expect(p.timestamp == nil)
        #expect(text(bytes, p.payload) == sip)
    }

    @Test func decodesHEPv2WithLittleEndianTimeHeader() throws {
        // Kamailio writes tv_sec, tv_usec and the capture id little-endian, padded to 12 bytes.
        let sip = "OPTIONS sip:a SIP/2.0\r\nCall-ID: z\r\n\r\n"
        let time = hex("5b4cc769 40e20100 0100 0000")  // 1766050907 s, 123456 µs, id 1, LE
        let bytes = hex("02 10 02 11 13c4 13c5 7f000001 7f000002") + time + Array(sip.utf8)
        let p = try decode(bytes)
        #expect(p.version == 2)
        #expect(p.timestamp == Timestamp(seconds: 0x69c74c5b, microseconds: 123_456))
        #expect(p.captureID == 1)
        #expect(p.destination.port == 5061)
        #expect(text(bytes, p.payload) == sip)
    }

    @Test func signatureCheckIsConservativeForV1V2() {
        let sipText = Array("INVITE sip:x SIP/2.0\r\n".utf8)
        sipText.withUnsafeBytes { #expect(!HEPDecoder.looksLikeHEP($0, allowV1V2: true)) }
        Self.specExample.withUnsafeBytes { #expect(HEPDecoder.looksLikeHEP($0, allowV1V2: false)) }
        let v1 = hex("01 10 02 11 13c4 13c4 0a000164 c0a800fe")
        v1.withUnsafeBytes {
            #expect(HEPDecoder.looksLikeHEP($0, allowV1V2: true))
            #expect(!HEPDecoder.looksLikeHEP($0, allowV1V2: false))
        }
    }
}

/// "48 45 50" -> bytes; spaces ignored.
func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

@Suite struct HEPGenericChunkTests {
    @Test func everyGenericChunkIsRead() throws {
        var b = HEPBuilder()
        b.chunk(0x03, [10, 0, 0, 1]); b.chunk(0x04, [10, 0, 0, 2])
        b.chunk(0x07, [0x13, 0xc4]); b.chunk(0x08, [0x13, 0xc4])
        b.chunk(0x0d, [0, 30])
        b.chunk(0x12, [0, 42])
        b.chunk(0x13, Array("node-7".utf8))
        b.chunk(0x14, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55])
        b.chunk(0x15, [0, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb])  // 8-byte form
        b.chunk(0x16, [0x08, 0x00])
        b.chunk(0x17, [0x18])
        b.chunk(0x18, [0xb8])
        b.chunk(0x20, [0x01, 0xb8])  // MOS 4.40 × 100
        b.chunk(0x21, [0, 93])
        b.chunk(0x22, Array("48.85,2.35".utf8) + [0])
        b.chunk(0x23, [0, 0, 0, 12])
        b.chunk(0x24, Array("call".utf8))
        b.chunk(0x25, Array("mos,jitter".utf8))
        b.chunk(0x26, Array("vip".utf8))
        b.chunk(0x27, [0, 1])
        b.chunk(0x28, [0, 2])
        b.chunk(0x29, Array("grp".utf8))
        b.chunk(0x65, Array("{\"net\":\"5\"}".utf8))
        b.chunk(0x1f, [1, 2, 3])  // reserved: skipped
        b.chunk(0x0f, Array("OPTIONS sip:x SIP/2.0\r\nCall-ID: g\r\n\r\n".utf8))
        let bytes = b.packet()
        let p = try bytes.withUnsafeBytes { try HEPDecoder.decode($0) }
        func text(_ r: Range<Int>?) -> String? { bytes.withUnsafeBytes { $0.text(r) } }
        let e = p.extras
        #expect(e.keepAliveSeconds == 30)
        #expect(p.vlanID == 42)
        #expect(text(p.nodeName) == "node-7")
        #expect(e.sourceMAC == 0x0011_2233_4455 && e.destinationMAC == 0x6677_8899_aabb)
        #expect(e.ethernetType == 0x0800 && e.tcpFlags == 0x18 && e.ipTOS == 0xb8)
        #expect(e.mos == 440 && e.rFactor == 93 && e.jitter == 12)
        #expect(text(e.geoLocation) == "48.85,2.35")  // trailing NUL stripped
        #expect(text(e.transactionType) == "call" && text(e.payloadJSONKeys) == "mos,jitter")
        #expect(text(e.tagValues) == "vip" && e.tagType == 1 && e.eventType == 2 && text(e.groupID) == "grp")
        #expect(text(e.extraCorrelation) == "{\"net\":\"5\"}")
        #expect(text(p.payload)?.hasPrefix("OPTIONS") == true)
    }
}
