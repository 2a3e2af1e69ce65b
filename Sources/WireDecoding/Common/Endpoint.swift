/// An IPv4 or IPv6 address, stored as integers so it hashes and compares cheaply.
public enum IPAddress: Hashable, Sendable {
    case v4(UInt32)
    case v6(high: UInt64, low: UInt64)

    /// Reads 4 or 16 raw network-order bytes.
    public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 4: self = .v4(bytes.be32(0))
        case 16: self = .v6(high: bytes.be64(0), low: bytes.be64(8))
        default: return nil
        }
    }

    public var isV6: Bool { if case .v6 = self { return true } else { return false } }

    /// Dotted quad, or RFC 5952 text for IPv6 (longest zero run compressed, lower case).
    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
        case .v6(let hi, let lo):
            let groups = (0..<8).map { i -> UInt16 in
                let word = i < 4 ? hi : lo
                return UInt16(truncatingIfNeeded: word >> (UInt64(3 - i % 4) * 16))
            }
            // IPv4-mapped addresses read better with a dotted tail.
            if hi == 0, lo >> 32 == 0xffff {
                return "::ffff:" + IPAddress.v4(UInt32(truncatingIfNeeded: lo)).description
            }
            var bestStart = -1, bestLen = 0, runStart = -1
            for i in 0...8 {
                if i < 8, groups[i] == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLen { bestStart = runStart; bestLen = i - runStart }
                    runStart = -1
                }
            }
            if bestLen < 2 { bestStart = -1 }
            var out = ""
            var i = 0
            while i < 8 {
                if i == bestStart {
                    out += "::"
                    i += bestLen
                    continue
                }
                if !out.isEmpty, !out.hasSuffix(":") { out += ":" }
                out += String(groups[i], radix: 16)
                i += 1
            }
            return out
        }
    }
}

/// An address and port: where a SIP message came from or went to.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// "127.0.0.1:5060" or "[2001:db8::1]:5060".
    public var description: String {
        address.isV6 ? "[\(address.description)]:\(port)" : "\(address.description):\(port)"
    }

    public static let unknown = Endpoint(address: .v4(0), port: 0)
}
