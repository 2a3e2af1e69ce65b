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

    /// "1795744519.662639" — seconds with microsecond precision, as people and scripts read it.
    public var decimalSeconds: String {
        let s = nanoseconds.dividedFloor(by: 1_000_000_000)
        let frac = (nanoseconds - s * 1_000_000_000) / 1000
        var f = String(frac)
        while f.count < 6 { f = "0" + f }
        return "\(s).\(f)"
    }
}

extension Int64 {
    fileprivate func dividedFloor(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
