/// Converts a pcapng timestamp (a 64-bit count of if_tsresol units) to nanoseconds.
///
/// The resolution comes from the file, so every path uses wrapping or widening arithmetic:
/// an absurd resolution gives an absurd time, never a trap.
enum PcapngTimeScale: Equatable {
    /// Units finer than a nanosecond are dropped; coarser ones scale up.
    case multiply(UInt64)
    case divide(UInt64)
    /// 2^-n seconds per unit: ns = units * 10^9 / 2^n, computed in 128 bits.
    case binary(UInt8)
    /// 10^-n with n so large that every representable count is below one nanosecond.
    case zero

    static let microseconds = PcapngTimeScale.multiply(1000)

    /// From the if_tsresol byte: MSB clear → 10^-n seconds, MSB set → 2^-n seconds.
    init(tsresol: UInt8) {
        if tsresol & 0x80 != 0 {
            self = .binary(tsresol & 0x7F)
            return
        }
        let n = Int(tsresol)
        if n <= 9 {
            self = .multiply(Self.powerOfTen(9 - n))
        } else if n - 9 <= 19 {  // 10^19 is the largest power of ten in a UInt64
            self = .divide(Self.powerOfTen(n - 9))
        } else {
            self = .zero
        }
    }

    private static func powerOfTen(_ e: Int) -> UInt64 {
        var v: UInt64 = 1
        for _ in 0..<e { v &*= 10 }
        return v
    }

    @inline(__always) func nanoseconds(_ units: UInt64) -> Int64 {
        switch self {
        case .multiply(let f):
            return Int64(truncatingIfNeeded: units &* f)
        case .divide(let d):
            return Int64(truncatingIfNeeded: units / d)
        case .binary(let n):
            let (high, low) = units.multipliedFullWidth(by: 1_000_000_000)
            let shift = UInt64(n)
            if shift == 0 { return Int64(truncatingIfNeeded: low) }
            if shift < 64 { return Int64(truncatingIfNeeded: (low >> shift) | (high << (64 - shift))) }
            return Int64(truncatingIfNeeded: high >> (shift - 64))
        case .zero:
            return 0
        }
    }
}
