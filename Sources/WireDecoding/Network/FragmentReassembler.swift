/// Identifies the pieces of one fragmented IP datagram. IPv6 has no protocol in the key
/// (RFC 8200 §4.5), so it is 0 there; the address family keeps the two kinds apart.
struct FragmentKey: Hashable {
    var source: IPAddress
    var destination: IPAddress
    var identification: UInt32
    var protocolNumber: UInt8
}

/// Rebuilds IPv4 and IPv6 datagrams from their fragments. Pieces may come in any order and
/// may overlap (a later piece overwrites the bytes it covers); a datagram is complete once the
/// last piece fixed its length and no hole remains.
struct FragmentReassembler {
    struct Pending {
        var data: [UInt8] = []
        /// Received byte ranges, sorted and merged.
        var covered: [Range<Int>] = []
        /// Known once the piece without "more fragments" arrived.
        var totalLength: Int?
        /// The upper-layer protocol; for IPv6 it is taken from the piece at offset 0.
        var protocolNumber: UInt8?
        var firstSeen: Int64
        var limit: Int
    }

    /// What a complete datagram hands back: its payload and the protocol inside.
    struct Completed {
        var payload: [UInt8]
        var protocolNumber: UInt8
    }

    enum Outcome {
        case pending
        case complete(Completed)
        case rejected(reason: String)
    }

    private var pending: [FragmentKey: Pending] = [:]
    private var lastSweep: Int64 = .min
    let maximumKeys: Int
    let timeout: Int64

    init(limits: NetworkLimits) {
        maximumKeys = max(1, limits.maximumPendingFragmentKeys)
        let seconds = limits.fragmentTimeoutSeconds
        timeout = seconds.isFinite && seconds > 0 ? Int64(min(seconds, 1e9) * 1e9) : 30_000_000_000
    }

    var pendingCount: Int { pending.count }

    /// Adds one piece. `offset` is in bytes, `protocolNumber` is nil when the piece does not
    /// tell (IPv6 pieces after the first). Datagrams dropped for timeout or crowding are
    /// returned through `dropped` so the caller can count them.
    mutating func add(
        key: FragmentKey, offset: Int, bytes: UnsafeRawBufferPointer, moreFragments: Bool,
        protocolNumber: UInt8?, limit: Int, now: Int64, dropped: inout Int
    ) -> Outcome {
        expire(now: now, dropped: &dropped)
        let (end, overflow) = offset.addingReportingOverflow(bytes.count)
        guard !overflow, end <= limit else {
            if pending.removeValue(forKey: key) != nil { dropped += 1 }
            return .rejected(reason: "ip fragment too large")
        }
        var entry: Pending
        if let existing = pending.removeValue(forKey: key) {
            entry = existing
        } else {
            if pending.count >= maximumKeys { evictOldest(dropped: &dropped) }
            entry = Pending(firstSeen: now, limit: limit)
        }
        if !moreFragments {
            // The first "last piece" fixes the length; a conflicting later one is ignored.
            if entry.totalLength == nil { entry.totalLength = end }
        }
        if let p = protocolNumber, entry.protocolNumber == nil || offset == 0 { entry.protocolNumber = p }
        if end > entry.data.count {
            entry.data.append(contentsOf: repeatElement(0, count: end - entry.data.count))
        }
        if bytes.count > 0 {
            entry.data.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
            Self.cover(offset..<end, in: &entry.covered)
        }
        if let total = entry.totalLength, let proto = entry.protocolNumber,
           Self.isComplete(entry.covered, total: total)
        {
            var data = entry.data
            if data.count > total { data.removeSubrange(total...) }
            return .complete(Completed(payload: data, protocolNumber: proto))
        }
        pending[key] = entry
        return .pending
    }

    /// Drops everything still waiting; returns how many datagrams were incomplete.
    mutating func removeAll() -> Int {
        let n = pending.count
        pending.removeAll()
        return n
    }

    @inline(__always) private static func isComplete(_ covered: [Range<Int>], total: Int) -> Bool {
        if total == 0 { return true }
        guard let first = covered.first else { return false }
        return first.lowerBound == 0 && first.upperBound >= total
    }

    /// Inserts `range` into sorted, non-overlapping `ranges`, merging neighbours.
    static func cover(_ range: Range<Int>, in ranges: inout [Range<Int>]) {
        var lower = range.lowerBound, upper = range.upperBound
        var i = 0
        while i < ranges.count, ranges[i].upperBound < lower { i += 1 }
        var j = i
        while j < ranges.count, ranges[j].lowerBound <= upper {
            lower = min(lower, ranges[j].lowerBound)
            upper = max(upper, ranges[j].upperBound)
            j += 1
        }
        ranges.replaceSubrange(i..<j, with: CollectionOfOne(lower..<upper))
    }

    /// Sweeps out timed-out datagrams, at most once per second of capture time so that a
    /// burst of fragments does not rescan the table each time.
    private mutating func expire(now: Int64, dropped: inout Int) {
        guard !pending.isEmpty else { return }
        if lastSweep != .min {
            let (since, overflow) = now.subtractingReportingOverflow(lastSweep)
            if !overflow, since >= 0, since < 1_000_000_000 { return }
        }
        lastSweep = now
        let before = pending.count
        pending = pending.filter { _, entry in
            // Time going backwards (merged captures) never expires anything.
            let (age, overflow) = now.subtractingReportingOverflow(entry.firstSeen)
            return now < entry.firstSeen || (!overflow && age <= timeout)
        }
        dropped += before - pending.count
    }

    private mutating func evictOldest(dropped: inout Int) {
        guard let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen }) else { return }
        pending.removeValue(forKey: oldest.key)
        dropped += 1
    }
}
