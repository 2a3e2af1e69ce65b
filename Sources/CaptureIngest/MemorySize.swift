#if canImport(Glibc)
import Glibc
#endif

/// Memory sizes as people write them on a command line: "512M", "2G", "1500000".
public enum MemorySize {
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: " ").uppercased()
        guard let last = t.last else { return nil }
        let scale: Int
        var digits = t
        switch last {
        case "K": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        case "T": scale = 1 << 40
        default: scale = 1
        }
        if scale != 1 { digits.removeLast() }
        if digits.hasSuffix("I") || digits.hasSuffix("B") { return nil }
        guard let n = Int(digits), n > 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : v
    }

    /// The default budget: half of the machine's physical memory.
    public static var defaultLimit: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 4 << 30 }
        return pages * size / 2
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
