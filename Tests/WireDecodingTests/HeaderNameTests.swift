import Testing
@testable import WireDecoding

/// Header names are told apart eight bytes at a time; that must agree, byte for byte, with
/// the plain case-insensitive comparison, for the names themselves and for every near miss.
@Suite struct HeaderNameTests {
    static let names = ["i", "l", "f", "t", "v", "to", "via", "cseq", "from", "x-cid", "call-id", "x-call-id",
                        "session-id", "content-length", "p-charging-vector"]

    /// Both ways on `name` followed by ": value" and enough bytes to let the word loads run.
    func agree(_ name: [UInt8], padding: Int = 32) -> Bool {
        let bytes = name + Array(": value\r\n".utf8) + [UInt8](repeating: 65, count: padding)
        return bytes.withUnsafeBytes { b in
            HeaderKind(nameIn: b, at: 0, length: name.count) == HeaderKind(name: b.slice(0..<name.count))
        }
    }

    @Test func everyNameInEveryCase() {
        for name in Self.names {
            let lower = Array(name.utf8)
            let upper = Array(name.uppercased().utf8)
            for mix in 0..<(1 << min(lower.count, 10)) {
                let mixed = lower.indices.map { mix >> ($0 % 10) & 1 == 1 ? upper[$0] : lower[$0] }
                let bytes = mixed + Array(": v\r\n".utf8) + [UInt8](repeating: 0, count: 32)
                let kind = bytes.withUnsafeBytes { HeaderKind(nameIn: $0, at: 0, length: mixed.count) }
                #expect(kind != nil, "\(name) as \(String(decoding: mixed, as: UTF8.self))")
                #expect(agree(mixed))
            }
        }
    }

    @Test func everyOneByteChangeAgrees() {
        for name in Self.names {
            let lower = Array(name.utf8)
            for i in lower.indices {
                for v in 0...255 {
                    var changed = lower
                    changed[i] = UInt8(v)
                    #expect(agree(changed), "\(name) with byte \(i) = \(v)")
                }
            }
            // One byte shorter and longer, and right at the end of the bytes (the slow way).
            #expect(agree(Array(lower.dropLast())))
            #expect(agree(lower + [UInt8(ascii: "x")]))
            #expect(agree(lower, padding: 0))
        }
    }

    /// What the general way makes of a line: the name before the first ':' (spaces before the
    /// colon trimmed), told by the plain comparison.
    func generalWay(_ line: [UInt8]) -> (HeaderKind, Int)? {
        guard let colon = line.firstIndex(of: 58) else { return nil }
        var nameEnd = colon
        while nameEnd > 0, line[nameEnd - 1] == 32 || line[nameEnd - 1] == 9 { nameEnd -= 1 }
        return line.withUnsafeBytes { b in HeaderKind(name: b.slice(0..<nameEnd)).map { ($0, colon) } }
    }

    /// The common names straight followed by ':' are told by word compares without looking for
    /// the colon: in every case, and for every one-byte change of them (and of the colon), that
    /// must find what the general way finds, or leave the line to it.
    @Test func colonTerminatedNamesAgreeWithTheGeneralWay() {
        let direct = ["via", "v", "from", "f", "to", "t", "cseq", "call-id", "i", "content-length", "l"]
        func check(_ line: [UInt8], mustBeFound: Bool, _ what: String) {
            let bytes = line + Array(" value\r\n".utf8) + [UInt8](repeating: 0, count: 16)
            let found = bytes.withUnsafeBytes { HeaderKind.colonTerminated(in: $0, at: 0) }
            if let found {
                let general = generalWay(line)
                #expect(general?.0 == found.kind && general?.1 == found.nameLength, "\(what)")
            } else {
                #expect(!mustBeFound, "\(what) not found")
            }
        }
        for name in direct {
            let lower = Array(name.utf8), upper = Array(name.uppercased().utf8)
            for mix in 0..<(1 << lower.count) {
                let mixed = lower.indices.map { mix >> $0 & 1 == 1 ? upper[$0] : lower[$0] }
                check(mixed + [58], mustBeFound: true, String(decoding: mixed, as: UTF8.self))
            }
            let line = lower + [58]
            for i in line.indices {
                for v in 0...255 {
                    var changed = line
                    changed[i] = UInt8(v)
                    check(changed, mustBeFound: false, "\(name): byte \(i) = \(v)")
                }
            }
            // A space before the colon, and the bytes ending too soon for word loads: the general way.
            check(lower + [32, 58], mustBeFound: false, "\(name) :")
            let short = lower + [58]
            #expect(short.withUnsafeBytes { HeaderKind.colonTerminated(in: $0, at: 0) } == nil, "\(name) at the end")
        }
    }

    @Test func onlyTheirFirstLettersAreLookedAt() {
        let firsts = Set(Self.names.map { $0.utf8.first! })
        for v in 0...255 {
            let byte = UInt8(v)
            let expected = firsts.contains(byte) || (byte >= 65 && byte <= 90 && firsts.contains(byte | 0x20))
            #expect(HeaderKind.mayStart(with: byte) == expected, "byte \(v)")
        }
    }
}
