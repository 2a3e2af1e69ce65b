import Testing
@testable import TraceViewer

/// The radix sort behind the call list against the standard library's sort on (key, position):
/// keys that differ only in high bytes, only in low bytes, many ties, negative values, and runs
/// where some byte positions are constant (the passes it skips).
@Suite struct KeyedSortTests {
    static func reference(_ values: [Int32], _ keys: [UInt64]) -> [Int32] {
        zip(keys, values).enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
    }

    @Test func matchesAComparisonSortOnEveryKind() {
        var random = SystemRandomNumberGenerator()
        let n = 5_000
        let values = (0..<Int32(n)).map { $0 }
        let kinds: [(String, () -> UInt64)] = [
            ("full 64-bit", { random.next() }),
            ("high byte only", { UInt64.random(in: 0..<256, using: &random) << 56 }),
            ("few ties", { UInt64.random(in: 0..<4, using: &random) }),
            ("signed", { KeyedSort.key(Int64.random(in: -1_000_000...1_000_000, using: &random)) }),
            ("middle bytes", { UInt64.random(in: 0..<65_536, using: &random) << 24 | 0xff }),
            ("all equal", { 42 }),
        ]
        // Keys already in order (taken as they are), in order but for the last, and in reverse.
        let ascending = (0..<n).map { UInt64($0 / 3) * 1_000 }
        let almost = Array(ascending.dropLast()) + [0]
        let shuffledValues = values.shuffled(using: &random)
        // Nearly in order: each key a little early or late, with ties (start times of calls).
        let jittered = (0..<n).map { UInt64($0 / 2) * 1_000 + UInt64.random(in: 0..<20, using: &random) * 100 }
        // In order but for the greatest key first: every other key moves back past it.
        let farOut = [UInt64.max] + ascending.dropFirst()
        for (name, keys) in [("in order", ascending), ("in order but the last", almost), ("reversed", ascending.reversed()),
                             ("nearly in order", jittered), ("one far out of place", farOut)] {
            #expect(KeyedSort.stable(shuffledValues, keys: keys) == Self.reference(shuffledValues, keys), "\(name)")
        }
        for (name, make) in kinds {
            let keys = (0..<n).map { _ in make() }
            #expect(KeyedSort.stable(values, keys: keys) == Self.reference(values, keys), "\(name)")
        }
        // The insertion sort takes keys nearly in order, and gives up on keys that are not.
        #expect(KeyedSort.insertionSorted(shuffledValues, keys: jittered, moveBudget: 2 * n) == Self.reference(shuffledValues, jittered))
        #expect(KeyedSort.insertionSorted(values, keys: (0..<n).map { _ in random.next() }, moveBudget: 2 * n) == nil)
        #expect(KeyedSort.insertionSorted([], keys: [], moveBudget: 0) == [])
        #expect(KeyedSort.stable([], keys: []) == [])
        #expect(KeyedSort.stable([7], keys: [3]) == [7])
        #expect(KeyedSort.key(-1) < KeyedSort.key(0) && KeyedSort.key(.min) < KeyedSort.key(.max))
    }
}
