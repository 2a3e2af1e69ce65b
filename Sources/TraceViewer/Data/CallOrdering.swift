import TraceModel
import WireDecoding

/// The call list's sorts. Every column becomes one 64-bit key per call, sorted by `KeyedSort`
/// over the calls in start order, so ties fall back to the start time; text columns rank their
/// distinct strings once, by bytes, rather than making a String per call.
///
/// For long lists, what a sort works out besides the keys is kept while the data stays the
/// same: the list in start order, the ranks of the last text column and those of the source
/// addresses. Sorting a million calls by another column or reversing the order then starts from
/// them, and a filtered list from the ranks, instead of sorting all over again: each was a large
/// part of such a key's time. Kept ranks cover every call of the store, not only those listed,
/// so that they serve any long list of the same data.
struct CallOrdering {
    private var version = -1
    private var byStart: (calls: [Int32], ordered: [Int32])?
    private var textRanks: (sort: CallSort, ranks: [UInt32])?
    private var sourceRanks: [UInt64]?

    /// Shorter lists (one small session's calls, a linked call's legs) are sorted on their own
    /// calls' values alone, and nothing is kept for them: ranking the whole store for them would
    /// cost more than their sort, and they would push out the start order of the long list.
    static let keptListSize = 4096

    /// `calls` in the order of `sort`. `version` names the data in `s`: what was kept for
    /// another version is dropped.
    mutating func sorted(_ calls: [Int32], by sort: CallSort, descending: Bool, store s: TraceStore,
                         version: Int) -> [Int32] {
        if version != self.version { self = CallOrdering(); self.version = version }
        let byStart = inStartOrder(calls, store: s)
        func ordered(_ key: (Int) -> UInt64) -> [Int32] {
            KeyedSort.stable(byStart, keys: byStart.map { descending ? ~key(Int($0)) : key(Int($0)) })
        }
        // Calls without the figure (no answer yet, no end) come last whichever way the sort goes.
        func orderedKnownFirst(_ value: (Int) -> Int64?) -> [Int32] {
            KeyedSort.stable(byStart, keys: byStart.map { c in
                value(Int(c)).map { descending ? ~KeyedSort.key($0) : KeyedSort.key($0) } ?? .max
            })
        }
        func byText(_ id: (Int) -> UInt32) -> [Int32] {
            let rank = byStart.count < Self.keptListSize
                ? Self.textRanks(byStart.map { id(Int($0)) }, strings: s.strings) : ranks(of: sort, id, store: s)
            return ordered { UInt64(rank[Int(id($0))]) }
        }
        switch sort {
        case .start: return descending ? byStart.reversed() : byStart
        case .state: return ordered { UInt64(s.calls[$0].state.rawValue) }
        case .method:
            // Alphabetical by method name, as the column reads.
            let names = SIPMethod.allCases.sorted { $0.name < $1.name }
            var rank = [UInt64](repeating: 0, count: Int(SIPMethod.allCases.map(\.rawValue).max()!) + 1)
            for (i, m) in names.enumerated() { rank[Int(m.rawValue)] = UInt64(i) }
            return ordered { rank[Int(s.calls[$0].kind.rawValue)] }
        case .from: return byText { s.calls[$0].fromUser }
        case .to: return byText { s.calls[$0].toUser }
        case .callID: return byText { s.calls[$0].callID }
        case .messages: return ordered { UInt64(s.calls[$0].messageCount) }
        case .pdd: return orderedKnownFirst { s.calls[$0].postDialDelay }
        case .duration: return orderedKnownFirst { s.calls[$0].duration }
        case .source:
            let rank: [UInt64]
            if byStart.count < Self.keptListSize {
                rank = Self.sourceRanks(of: byStart.lazy.map { Int($0) }, store: s)
            } else {
                rank = sourceRanks ?? Self.sourceRanks(of: s.calls.indices, store: s)
                sourceRanks = rank
            }
            return ordered { call in Self.source(of: call, in: s).map { rank[$0] } ?? 0 }
        }
    }

    /// `calls` by start time, ties by index.
    private mutating func inStartOrder(_ calls: [Int32], store s: TraceStore) -> [Int32] {
        let kept = calls.count >= Self.keptListSize
        if kept, let c = byStart, c.calls == calls { return c.ordered }
        // In index order first (a group that took in linked legs lists them after its own), so
        // that the stable sort on the start time orders ties by index.
        let inIndexOrder = zip(calls, calls.dropFirst()).allSatisfy { $0 < $1 } ? calls : calls.sorted()
        let ordered = KeyedSort.stable(inIndexOrder, keys: inIndexOrder.map { KeyedSort.key(s.calls[Int($0)].firstTime.nanoseconds) })
        if kept { byStart = (calls, ordered) }
        return ordered
    }

    /// Ranks of a text column's string ids, for every call of the store, kept for the next sort.
    private mutating func ranks(of sort: CallSort, _ id: (Int) -> UInt32, store s: TraceStore) -> [UInt32] {
        if let r = textRanks, r.sort == sort { return r.ranks }
        let ranks = Self.textRanks(s.calls.indices.map(id), strings: s.strings)
        textRanks = (sort, ranks)
        return ranks
    }

    /// The endpoint id a call's first message came from.
    private static func source(of call: Int, in s: TraceStore) -> Int? {
        let first = s.calls[call].firstMessage
        return first < 0 ? nil : Int(s.messages[Int(first)].source)
    }

    /// Ranks of the endpoints that `calls` come from, by endpoint id: by address, IPv4 before
    /// IPv6, then port, the order an engineer reads addresses in (as text, 10.0.0.10 would come
    /// before 10.0.0.9). Endpoint ids are dense, so ranks go in an array; a load test can have a
    /// hundred thousand distinct source ports. 0 is left for a call without messages.
    private static func sourceRanks(of calls: some Sequence<Int>, store s: TraceStore) -> [UInt64] {
        let all = s.endpoints.all
        var used = [Bool](repeating: false, count: all.count)
        for c in calls { if let e = source(of: c, in: s) { used[e] = true } }
        var v4: [Int32] = [], v4Keys: [UInt64] = [], v6: [(Int32, UInt64, UInt64, UInt16)] = []
        for e in all.indices where used[e] {
            switch all[e].address {
            case .v4(let a):
                v4.append(Int32(e))
                v4Keys.append(UInt64(a) << 16 | UInt64(all[e].port))
            case .v6(let high, let low): v6.append((Int32(e), high, low, all[e].port))
            }
        }
        let named = KeyedSort.stable(v4, keys: v4Keys) + v6.sorted { ($0.1, $0.2, $0.3) < ($1.1, $1.2, $1.3) }.map(\.0)
        var rank = [UInt64](repeating: 0, count: all.count)
        for (i, e) in named.enumerated() { rank[Int(e)] = UInt64(i) + 1 }
        return rank
    }

    /// Ranks of string ids in byte order (UTF-8 code point order), indexed by id; id 0 (none)
    /// ranks as the empty string, first.
    static func textRanks(_ ids: [UInt32], strings: ByteStringTable) -> [UInt32] {
        var rank = [UInt32](repeating: 0, count: strings.count + 2)
        var seen = [Bool](repeating: false, count: rank.count)
        var distinct: [Int32] = []
        for id in ids where id != 0 && !seen[Int(id)] {
            seen[Int(id)] = true
            distinct.append(Int32(bitPattern: id))
        }
        // The first eight bytes as one big-endian integer tell most strings apart; runs that share
        // them are then compared whole.
        func prefix(_ id: Int32) -> UInt64 {
            strings.withBytes(UInt32(bitPattern: id)) { b in
                var v: UInt64 = 0
                for i in 0..<8 { v = v << 8 | UInt64(i < b.count ? b[i] : 0) }
                return v
            }
        }
        let prefixes = distinct.map(prefix)
        var order = KeyedSort.stable(Array(distinct.indices.map { Int32($0) }), keys: prefixes)
        var runStart = 0
        while runStart < order.count {
            var runEnd = runStart + 1
            while runEnd < order.count, prefixes[Int(order[runEnd])] == prefixes[Int(order[runStart])] { runEnd += 1 }
            if runEnd - runStart > 1 {
                order[runStart..<runEnd].sort { a, b in
                    strings.withBytes(UInt32(bitPattern: distinct[Int(a)])) { x in
                        strings.withBytes(UInt32(bitPattern: distinct[Int(b)])) { y in x.lexicographicallyPrecedes(y) }
                    }
                }
            }
            runStart = runEnd
        }
        for (position, i) in order.enumerated() { rank[Int(distinct[Int(i)])] = UInt32(position + 1) }
        return rank
    }
}
