import Testing
@testable import TraceModel

/// Origins are interned in a table that compares the first few values and hashes the rest:
/// either way, a value keeps the id it got first.
@Suite struct ValueTableTests {
    @Test func idsStayPutPastTheScannedFew() {
        var table = ValueTable<String>()
        let values = (0..<40).map { "origin-\($0)" }
        for (i, v) in values.enumerated() { #expect(table.id(v) == i) }
        // Again, in another order, and interleaved the way messages of several agents arrive.
        for v in values.reversed() { #expect(table.id(v) == values.firstIndex(of: v)) }
        for round in 0..<3 {
            for i in stride(from: round, to: values.count, by: 3) { #expect(table.id(values[i]) == i) }
        }
        #expect(table.all == values)
        #expect(table[9] == "origin-9")
    }

    @Test func fewValuesNeverReachTheDictionary() {
        var table = ValueTable<Int>()
        for v in [7, 3, 7, 3, 5, 7] { _ = table.id(v) }
        #expect(table.all == [7, 3, 5])
        #expect(table.id(5) == 2)
    }
}

/// Call keys and link tokens live in an open-addressing table where 0 marks an empty slot: the
/// keys 0 and 1 must still be two keys, and every key must survive the table's growth.
@Suite struct UInt64TableTests {
    @Test func zeroAndOneAreTwoKeys() {
        var table = UInt64Table()
        #expect(table[0] == nil && table[1] == nil)
        table[1] = 10
        #expect(table[0] == nil)
        table[0] = 20
        #expect(table[0] == 20 && table[1] == 10)
        table[0] = 21
        #expect(table[0] == 21 && table.count == 2)
    }

    @Test func everyKeyKeepsItsValueAcrossGrowth() {
        var table = UInt64Table()
        // Keys that differ only in high bits land in the same slot before multiplying: mixed in.
        let keys: [UInt64] = (0..<5000).map { UInt64($0) &* 0x1_0000_0001 } + [.max, 1 << 63]
        for (i, k) in keys.enumerated() { table[k] = Int64(i) }
        #expect(table.count == keys.count)
        for (i, k) in keys.enumerated() { #expect(table[k] == Int64(i), "key \(k)") }
        #expect(table[2] == nil && table[0x1_0000_0002] == nil)
    }
}

@Suite struct ShownTextTests {
    /// Bytes that are not UTF-8 (a lone byte, a sequence cut short, an overlong form) show as
    /// \xNN each; the valid text around them is kept, and valid text comes back as it was.
    @Test func badBytesShowAsHexValidTextStays() {
        let cases: [([UInt8], String)] = [
            (Array("dup-".utf8) + [0xff] + Array("@x".utf8), "dup-\\xff@x"),
            ([0x61, 0xe2, 0x82] + Array("é".utf8), "a\\xe2\\x82é"),
            ([0xc0, 0xaf, 0x41], "\\xc0\\xafA"),
            (Array("plain ✓".utf8), "plain ✓"),
            ([], ""),
        ]
        for (bytes, shown) in cases {
            #expect(bytes.withUnsafeBytes { String(showingInvalidUTF8: $0) } == shown)
        }
        var table = ByteStringTable()
        let a = [UInt8]([0x78, 0xff]).withUnsafeBytes { table.intern($0) }
        let b = [UInt8]([0x78, 0xfe]).withUnsafeBytes { table.intern($0) }
        #expect(table.string(a) == "x\\xff" && table.string(b) == "x\\xfe")
    }
}
