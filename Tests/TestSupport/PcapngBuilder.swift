
/// Writes pcapng blocks in either byte order, with hooks to make the lengths lie.
public struct PcapngBuilder {
    public init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    public var bigEndian = false
    public var bytes: [UInt8] = []

    public func u16(_ v: UInt16) -> [UInt8] {
        let b = [UInt8(v & 0xFF), UInt8(v >> 8)]
        return bigEndian ? b.reversed() : b
    }

    public func u32(_ v: UInt32) -> [UInt8] {
        let b = (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
        return bigEndian ? b.reversed() : b
    }

    public func u64(_ v: UInt64) -> [UInt8] {
        let b = (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        return bigEndian ? b.reversed() : b
    }

    public static func padded(_ b: [UInt8]) -> [UInt8] {
        b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4)
    }

    /// Options followed by opt_endofopt; empty when there are none.
    public func options(_ list: [(UInt16, [UInt8])]) -> [UInt8] {
        guard !list.isEmpty else { return [] }
        var out: [UInt8] = []
        for (code, value) in list { out += u16(code) + u16(UInt16(value.count)) + Self.padded(value) }
        return out + u16(0) + u16(0)
    }

    public mutating func block(_ type: UInt32, _ body: [UInt8], length: UInt32? = nil, trailer: UInt32? = nil) {
        let total = UInt32(12 + body.count)
        bytes += u32(type) + u32(length ?? total) + body + u32(trailer ?? length ?? total)
    }

    public mutating func shb(comments: [String] = [], major: UInt16 = 1) {
        let body = u32(0x1A2B_3C4D) + u16(major) + u16(0) + u64(UInt64.max)
            + options(comments.map { (1, Array($0.utf8)) })
        block(0x0A0D_0D0A, body)
    }

    public mutating func idb(linkType: UInt16, snaplen: UInt32 = 0, tsresol: UInt8? = nil, tsoffset: Int64? = nil) {
        var opts: [(UInt16, [UInt8])] = [(2, Array("eth0".utf8))]
        if let tsresol { opts.append((9, [tsresol])) }
        if let tsoffset { opts.append((14, u64(UInt64(bitPattern: tsoffset)))) }
        block(1, u16(linkType) + u16(0) + u32(snaplen) + options(opts))
    }

    public mutating func epb(interface: UInt32 = 0, units: UInt64, data: [UInt8], origlen: UInt32? = nil,
                      caplen: UInt32? = nil, comments: [String] = [], flags: UInt32? = nil) {
        var opts: [(UInt16, [UInt8])] = comments.map { (1, Array($0.utf8)) }
        if let flags { opts.append((2, u32(flags))) }
        let body = u32(interface) + u32(UInt32(units >> 32)) + u32(UInt32(truncatingIfNeeded: units))
            + u32(caplen ?? UInt32(data.count)) + u32(origlen ?? UInt32(data.count))
            + Self.padded(data) + options(opts)
        block(6, body)
    }

    public mutating func pb(interface: UInt16 = 0, units: UInt64, data: [UInt8], comments: [String] = []) {
        let body = u16(interface) + u16(0) + u32(UInt32(units >> 32)) + u32(UInt32(truncatingIfNeeded: units))
            + u32(UInt32(data.count)) + u32(UInt32(data.count)) + Self.padded(data)
            + options(comments.map { (1, Array($0.utf8)) })
        block(2, body)
    }

    public mutating func spb(origlen: UInt32, data: [UInt8]) {
        block(3, u32(origlen) + Self.padded(data))
    }
}

