import Testing
import WireDecoding

@Suite struct InflateTests {
    // "hello hello hello\n" compressed by zlib (78 9c) and gzip (1f 8b), made with Python's zlib.
    static let zlibHello: [UInt8] = [
        0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x40, 0xb5, 0x06, 0x87,
    ]
    static let gzipHello: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x3b, 0x7c, 0x8a, 0xdf, 0x12, 0x00, 0x00, 0x00,
    ]

    @Test func inflatesZlib() throws {
        let out = try Self.zlibHello.withUnsafeBytes { try Inflate.inflate($0) }
        #expect(String(decoding: out, as: UTF8.self) == "hello hello hello\n")
    }

    @Test func inflatesGzipAndConcatenatedMembers() throws {
        let out = try (Self.gzipHello + Self.gzipHello).withUnsafeBytes { try Inflate.inflate($0) }
        #expect(String(decoding: out, as: UTF8.self) == "hello hello hello\nhello hello hello\n")
    }

    @Test func capsOutput() {
        #expect(throws: InflateError.tooLarge(limit: 5)) {
            try Self.zlibHello.withUnsafeBytes { try Inflate.inflate($0, limit: 5) }
        }
    }

    @Test func rejectsPlainText() {
        #expect(throws: InflateError.notCompressed) {
            try Array("INVITE sip:x".utf8).withUnsafeBytes { try Inflate.inflate($0) }
        }
    }

    @Test func reportsTruncation() {
        let cut = Array(Self.zlibHello.dropLast(6))
        #expect(throws: InflateError.truncated) {
            try cut.withUnsafeBytes { try Inflate.inflate($0) }
        }
    }
}
