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
