import Testing
import WireDecoding

@Suite struct WebSocketFrameTests {
    func parse(_ bytes: [UInt8]) -> WebSocketFrame.ParseResult {
        bytes.withUnsafeBytes { WebSocketFrame.parse($0) }
    }

    @Test func lengthForms() {
        // RFC 6455 §5.7: unmasked "Hello".
        #expect(parse([0x81, 0x05] + Array("Hello".utf8)) == .frame(.init(
            opcode: .text, fin: true, reservedBits: 0, headerLength: 2, payloadLength: 5, maskKey: nil)))
        // 256-byte binary message, 16-bit length.
        #expect(parse([0x82, 0x7E, 0x01, 0x00]) == .frame(.init(
            opcode: .binary, fin: true, reservedBits: 0, headerLength: 4, payloadLength: 256, maskKey: nil)))
        // 64 KiB binary message, 64-bit length.
        #expect(parse([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]) == .frame(.init(
            opcode: .binary, fin: true, reservedBits: 0, headerLength: 10, payloadLength: 65536, maskKey: nil)))
        // First fragment of a masked text message, RSV1 set.
        #expect(parse([0x41, 0x83, 0x37, 0xfa, 0x21, 0x3d]) == .frame(.init(
            opcode: .text, fin: false, reservedBits: 4, headerLength: 6, payloadLength: 3, maskKey: 0x37fa_213d)))
    }

    @Test func incompleteAndInvalidHeaders() {
        #expect(parse([]) == .needMore)
        #expect(parse([0x81]) == .needMore)
        #expect(parse([0x81, 0x7E, 0x01]) == .needMore)
        #expect(parse([0x81, 0x7F, 0, 0, 0, 0, 0, 0, 1]) == .needMore)
        #expect(parse([0x81, 0x85, 0x37, 0xfa, 0x21]) == .needMore)
        #expect(parse([0x83, 0x00]) == .invalid)  // reserved opcode
        #expect(parse([0x89, 0x7E, 0x00, 0x7E]) == .invalid)  // ping longer than 125
        #expect(parse([0x08, 0x00]) == .invalid)  // fragmented close
        #expect(parse([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1]) == .invalid)  // top bit of 64-bit length
        #expect(parse([0x82, 0x7F, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) == .invalid)
    }

    @Test func unmaskingRFCExample() {
        // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d.
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        guard case .frame(let header) = parse(frame), let key = header.maskKey else {
            Issue.record("not parsed")
            return
        }
        var out: [UInt8] = [0x2a]  // appended after what is there
        frame.withUnsafeBytes { WebSocketFrame.unmask($0.dropping(header.headerLength), key: key, into: &out) }
        #expect(out == [0x2a] + Array("Hello".utf8))
        // Unmasking in two pieces gives the same bytes when the second piece says where it starts.
        var pieces: [UInt8] = []
        frame.withUnsafeBytes { raw in
            WebSocketFrame.unmask(raw.slice(6..<9), key: key, into: &pieces)
            WebSocketFrame.unmask(raw.slice(9..<11), key: key, keyOffset: 3, into: &pieces)
        }
        #expect(pieces == Array("Hello".utf8))
    }
}
