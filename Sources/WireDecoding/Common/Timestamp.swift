/// A point in time as nanoseconds since the Unix epoch (good until the year 2262).
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public init(seconds: Int64, microseconds: Int64) {
        nanoseconds = seconds &* 1_000_000_000 &+ microseconds &* 1000
    }

    public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    public static let zero = Timestamp(nanoseconds: 0)

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }

    /// `self - earlier` in nanoseconds, held within ±Int64.max. A pcapng file sets its own time
    /// resolution and offset, so two times of one capture can sit at opposite ends of the range,
    /// where the plain difference (or the magnitude of Int64.min) would trap.
    public func nanoseconds(since earlier: Timestamp) -> Int64 {
        let (difference, overflow) = nanoseconds.subtractingReportingOverflow(earlier.nanoseconds)
        if overflow { return nanoseconds < earlier.nanoseconds ? -.max : .max }
        return difference == .min ? -.max : difference
    }

    /// Whole seconds, rounded down, and the nanoseconds past them (0 ..< 10^9), for any time:
    /// multiplying the seconds back would overflow near the ends of the range.
    public var secondsAndNanoseconds: (seconds: Int64, nanoseconds: Int64) {
        var s = nanoseconds / 1_000_000_000, r = nanoseconds % 1_000_000_000
        if r < 0 { s -= 1; r += 1_000_000_000 }
        return (s, r)
    }

    /// "1795744519.662639" — seconds with microsecond precision, as people and scripts read it.
    public var decimalSeconds: String {
        let (s, ns) = secondsAndNanoseconds
        var f = String(ns / 1000)
        while f.count < 6 { f = "0" + f }
        return "\(s).\(f)"
    }
}
