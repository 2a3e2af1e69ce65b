/// Case-insensitive substring search on bytes, for filters and the viewer's search: both ask
/// it of every call's strings, where making a lowercased String of each cost more than the
/// search itself.
public enum CaseFoldedSearch {
    /// Whether ASCII `bytes`, lowercased, contain `pattern` (lowercase ASCII); nil when the
    /// bytes are not all ASCII: Unicode's case folding decides then (a 'K' may be a Kelvin
    /// sign, which folds to 'k'), and the caller compares lowercased Strings.
    @inlinable public static func contains(_ bytes: UnsafeRawBufferPointer, _ pattern: UnsafeBufferPointer<UInt8>) -> Bool? {
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }
        let n = pattern.count
        guard n > 0 else { return bytes.allSatisfy { $0 < 0x80 } ? true : nil }
        var found = false
        for start in 0..<bytes.count {
            let c = bytes[start]
            if c >= 0x80 { return nil }
            if !found, lower(c) == pattern[0], start + n <= bytes.count {
                var k = 1
                while k < n, lower(bytes[start + k]) == pattern[k] { k += 1 }
                found = k == n
            }
        }
        return found
    }

    /// `contains` with the pattern as an array.
    @inlinable public static func contains(_ bytes: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool? {
        pattern.withUnsafeBufferPointer { contains(bytes, $0) }
    }
}
