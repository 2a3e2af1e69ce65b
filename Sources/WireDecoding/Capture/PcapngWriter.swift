/// Writes pcapng (little-endian): one section with an optional comment, one interface per link
/// type, enhanced packet blocks with nanosecond timestamps and optional per-packet comments.
public struct PcapngWriter {
    public private(set) var bytes: [UInt8] = []
    private var interfaces: [UInt32: UInt32] = [:]  // link type -> interface id

    public init(comment: String? = nil, application: String = "hepscope") {
        self.init(comments: comment.map { [$0] } ?? [], application: application)
    }

    /// A section with several comments (one opt_comment each: ours, then the inputs' own).
    public init(comments: [String], application: String = "hepscope") {
        var options: [(UInt16, [UInt8])] = comments.map { (1, Array($0.utf8)) }
        options.append((4, Array(application.utf8)))  // shb_userappl
        var body: [UInt8] = []
        body += le32(0x1A2B_3C4D) + le16(1) + le16(0) + le64(UInt64.max)
        body += PcapngWriter.options(options)
        block(0x0A0D_0D0A, body)
    }

    /// Appends a packet; its link type gets an interface block the first time it is seen.
    public mutating func append(_ frame: [UInt8], linkType: UInt32, time: Timestamp, originalLength: Int? = nil,
                                comment: String? = nil) {
        append(frame, linkType: linkType, time: time, originalLength: originalLength, comments: comment.map { [$0] } ?? [])
    }

    /// Appends a packet with any number of comments (one opt_comment each).
    public mutating func append(_ frame: [UInt8], linkType: UInt32, time: Timestamp, originalLength: Int? = nil,
                                comments: [String]) {
        let iface = interface(for: linkType)
        let units = UInt64(bitPattern: time.nanoseconds)
        var body = le32(iface) + le32(UInt32(truncatingIfNeeded: units >> 32)) + le32(UInt32(truncatingIfNeeded: units))
        body += le32(UInt32(frame.count)) + le32(UInt32(originalLength ?? frame.count))
        body += frame + [UInt8](repeating: 0, count: (4 - frame.count % 4) % 4)
        if !comments.isEmpty { body += PcapngWriter.options(comments.map { (1, Array($0.utf8)) }) }
        block(6, body)
    }

    private mutating func interface(for linkType: UInt32) -> UInt32 {
        if let id = interfaces[linkType] { return id }
        let id = UInt32(interfaces.count)
        interfaces[linkType] = id
        // if_tsresol = 9: nanoseconds, so HEP and pcap-ns timestamps keep every digit.
        let body = le16(UInt16(truncatingIfNeeded: linkType)) + le16(0) + le32(262_144) + PcapngWriter.options([(9, [9])])
        block(1, body)
        return id
    }

    private mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let total = UInt32(12 + body.count)
        bytes += le32(type) + le32(total) + body + le32(total)
    }

    static func options(_ list: [(UInt16, [UInt8])]) -> [UInt8] {
        guard !list.isEmpty else { return [] }
        var out: [UInt8] = []
        for (code, value) in list {
            out += le16(code) + le16(UInt16(value.count)) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        }
        return out + le16(0) + le16(0)
    }
}

private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
private func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
