/// pcapng: a sequence of blocks (type, total length, body, total length again). Each section
/// starts with a Section Header Block that fixes the byte order and numbers interfaces afresh.
struct PcapngReader: ByteOrderedReader {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// Far above any real block (a 256 KiB packet plus options); a larger length is taken as
    /// lost framing, so a hostile header cannot make a streaming caller buffer gigabytes.
    static let maximumBlockLength = 32 << 20

    struct Interface {
        var linkType: UInt32
        var snapLength: UInt32
        var scale: PcapngTimeScale
        /// if_tsoffset, already in nanoseconds.
        var offset: Int64
    }

    private(set) var bigEndian = false
    private(set) var interfaces: [Interface] = []
    private(set) var sectionCount = 0
    private(set) var fileComments: [String] = []
    /// Simple packet blocks carry no time; they take the time of the packet before them so the
    /// timeline stays in order.
    private var lastTimestamp = Timestamp.zero

    /// True when the bytes start like a section header: the block type, then (when present) a
    /// valid byte-order magic.
    static func looksLikeSectionHeader(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= 4, b.le32(0) == sectionHeaderType else { return false }
        guard b.count >= 12 else { return true }
        let bom = b.le32(8)
        return bom == byteOrderMagic || bom == byteOrderMagic.byteSwapped
    }

    mutating func step(
        _ b: UnsafeRawBufferPointer, at p: Int, origin: Int, moreDataMayFollow more: Bool,
        frame: inout CaptureFrame
    ) -> ReaderStep {
        let remaining = b.count - p
        if remaining == 0 { return more ? .needMoreData : .end }
        let at = origin + p
        // 12 bytes cover type, length and a section header's byte-order magic.
        guard remaining >= 12 else {
            if more { return .needMoreData }
            return .truncated("last block at byte \(at) is incomplete (\(remaining) bytes)")
        }
        // The section header type reads the same in both byte orders; its length can only be
        // read once the byte-order magic has been seen.
        let isSectionHeader = b.le32(p) == Self.sectionHeaderType
        var sectionBigEndian = bigEndian
        if isSectionHeader {
            let bom = b.le32(p + 8)
            if bom == Self.byteOrderMagic {
                sectionBigEndian = false
            } else if bom == Self.byteOrderMagic.byteSwapped {
                sectionBigEndian = true
            } else {
                return .corrupt("section header block at byte \(at) has an unknown byte-order magic (\(b.hexPrefix(at: p + 8)))")
            }
        } else if sectionCount == 0 {
            return .corrupt("the file does not start with a section header block")
        }
        let type = sectionBigEndian ? b.be32(p) : b.le32(p)
        let length32 = sectionBigEndian ? b.be32(p + 4) : b.le32(p + 4)
        let length = Int(length32)
        guard length >= 12, length % 4 == 0 else {
            return .corrupt("block at byte \(at) has a length of \(length32) (must be a multiple of 4 and at least 12)")
        }
        guard length <= Self.maximumBlockLength else {
            return .corrupt("block at byte \(at) claims a length of \(length32) bytes (the limit is \(Self.maximumBlockLength))")
        }
        guard length <= remaining else {
            if more { return .needMoreData }
            return .truncated("last block at byte \(at) is incomplete (\(remaining) of \(length) bytes)")
        }
        let trailer = sectionBigEndian ? b.be32(p + length - 4) : b.le32(p + length - 4)
        guard trailer == length32 else {
            return .corrupt("block at byte \(at) has length \(length32) but its trailing length says \(trailer)")
        }

        switch type {
        case Self.sectionHeaderType:
            return readSectionHeader(b, at: p, length: length, origin: origin, bigEndian: sectionBigEndian)
        case 1:
            return readInterface(b, at: p, length: length, origin: origin)
        case 6:
            // Enhanced packet: interface u32, time high, time low, caplen, origlen, data, options.
            guard length >= 32 else { return tooShort("enhanced packet", at: at, length: length) }
            return packet(b, at: p, length: length, origin: origin, interface: Int(u32(b, p + 8)), frame: &frame)
        case 2:
            // Obsolete packet block: interface u16, drops u16, then as the enhanced one.
            guard length >= 32 else { return tooShort("packet", at: at, length: length) }
            return packet(b, at: p, length: length, origin: origin, interface: Int(u16(b, p + 8)), frame: &frame)
        case 3:
            guard length >= 16 else { return tooShort("simple packet", at: at, length: length) }
            return simplePacket(b, at: p, length: length, origin: origin, frame: &frame)
        default:
            // Name resolution, statistics, decryption secrets, custom and unknown blocks.
            return .skip(consumed: length, warning: nil, skipped: false)
        }
    }

    private func tooShort(_ name: String, at: Int, length: Int) -> ReaderStep {
        .skip(consumed: length, warning: "skipped \(name) block at byte \(at): \(length) bytes is too short", skipped: true)
    }

    private mutating func readSectionHeader(
        _ b: UnsafeRawBufferPointer, at p: Int, length: Int, origin: Int, bigEndian sectionBigEndian: Bool
    ) -> ReaderStep {
        // type, length, byte-order magic, major, minor, section length (8), options, length.
        guard length >= 28 else {
            return .corrupt("section header block at byte \(origin + p) is too short (\(length) bytes)")
        }
        bigEndian = sectionBigEndian
        let major = u16(b, p + 12), minor = u16(b, p + 14)
        guard major == 1 else {
            return .corrupt("section header block at byte \(origin + p) has unsupported pcapng version \(major).\(minor)")
        }
        sectionCount += 1
        interfaces.removeAll(keepingCapacity: true)
        var comments: [String] = []
        let wellFormed = Self.forEachOption(b, from: p + 24, to: p + length - 4, bigEndian: bigEndian) { code, value in
            if code == 1 { comments.append(String(decoding: b.slice(value), as: UTF8.self)) }
        }
        fileComments += comments
        let warning = wellFormed ? nil : "section header block at byte \(origin + p) has malformed options"
        return .skip(consumed: length, warning: warning, skipped: false)
    }

    private mutating func readInterface(_ b: UnsafeRawBufferPointer, at p: Int, length: Int, origin: Int) -> ReaderStep {
        // Packets name their interface by index, so a broken description cannot just be skipped
        // without misattributing every later packet.
        guard length >= 20 else {
            return .corrupt("interface description block at byte \(origin + p) is too short (\(length) bytes)")
        }
        var interface = Interface(
            linkType: UInt32(u16(b, p + 8)), snapLength: u32(b, p + 12), scale: .microseconds, offset: 0
        )
        let big = bigEndian
        let wellFormed = Self.forEachOption(b, from: p + 16, to: p + length - 4, bigEndian: big) { code, value in
            switch code {
            case 9 where value.count >= 1:
                interface.scale = PcapngTimeScale(tsresol: b[value.lowerBound])
            case 14 where value.count >= 8:
                let seconds = big ? b.be64(value.lowerBound) : b.le64(value.lowerBound)
                interface.offset = Int64(bitPattern: seconds) &* 1_000_000_000
            default:
                break
            }
        }
        interfaces.append(interface)
        let warning = wellFormed ? nil : "interface description block at byte \(origin + p) has malformed options"
        return .skip(consumed: length, warning: warning, skipped: false)
    }

    /// Enhanced and obsolete packet blocks share the layout from byte 12 on: time high, time
    /// low, caplen, origlen, then the data at byte 28.
    private mutating func packet(
        _ b: UnsafeRawBufferPointer, at p: Int, length: Int, origin: Int, interface id: Int,
        frame: inout CaptureFrame
    ) -> ReaderStep {
        let headerSize = 28
        guard id < interfaces.count else {
            return undefinedInterface(id, at: origin + p, length: length)
        }
        let caplen = Int(u32(b, p + 20))
        let room = length - headerSize - 4
        guard caplen <= room else {
            return .skip(
                consumed: length,
                warning: "skipped packet block at byte \(origin + p): \(caplen) captured bytes do not fit in a \(length)-byte block",
                skipped: true)
        }
        let interface = interfaces[id]
        let units = UInt64(u32(b, p + 12)) << 32 | UInt64(u32(b, p + 16))
        let time = Timestamp(nanoseconds: interface.scale.nanoseconds(units) &+ interface.offset)
        lastTimestamp = time
        let start = p + headerSize
        let optionsStart = start + ((caplen + 3) & ~3)
        frame.data = b.slice(start..<(start + caplen))
        frame.linkType = interface.linkType
        frame.timestamp = time
        frame.originalLength = Int(u32(b, p + 24))
        frame.dataOffset = origin + start
        frame.interfaceID = id
        frame.comment = optionsStart < p + length - 4 ? comment(b, from: optionsStart, to: p + length - 4) : nil
        return .frame(consumed: length)
    }

    private mutating func simplePacket(
        _ b: UnsafeRawBufferPointer, at p: Int, length: Int, origin: Int, frame: inout CaptureFrame
    ) -> ReaderStep {
        guard let interface = interfaces.first else {
            return undefinedInterface(0, at: origin + p, length: length)
        }
        let origlen = Int(u32(b, p + 8))
        let snap = interface.snapLength == 0 ? Int.max : Int(interface.snapLength)
        let caplen = min(origlen, snap, length - 16)
        let start = p + 12
        frame.data = b.slice(start..<(start + caplen))
        frame.linkType = interface.linkType
        frame.timestamp = lastTimestamp
        frame.originalLength = origlen
        frame.dataOffset = origin + start
        frame.interfaceID = 0
        return .frame(consumed: length)
    }

    private func undefinedInterface(_ id: Int, at: Int, length: Int) -> ReaderStep {
        .skip(
            consumed: length,
            warning: "skipped packet block at byte \(at): interface \(id) is not defined in this section (\(interfaces.count) defined)",
            skipped: true)
    }

    /// The packet's options when they hold an opt_comment. Malformed packet options are
    /// ignored: the packet itself is intact, and a warning per packet would drown everything else.
    private func comment(_ b: UnsafeRawBufferPointer, from: Int, to: Int) -> FrameComment? {
        var hasComment = false
        _ = Self.forEachOption(b, from: from, to: to, bigEndian: bigEndian) { code, _ in
            if code == 1 { hasComment = true }
        }
        return hasComment ? FrameComment(pcapngOptions: b.slice(from..<to), bigEndian: bigEndian) : nil
    }

    /// Walks options (code u16, length u16, value padded to 4) in `from..<to` until opt_endofopt
    /// or the end. Returns false when an option runs past the end. Each option consumes at
    /// least 4 bytes, so the walk always ends.
    static func forEachOption(
        _ b: UnsafeRawBufferPointer, from: Int, to: Int, bigEndian: Bool, _ body: (UInt16, Range<Int>) -> Void
    ) -> Bool {
        var o = from
        while o + 4 <= to {
            let code = bigEndian ? b.be16(o) : b.le16(o)
            let size = Int(bigEndian ? b.be16(o + 2) : b.le16(o + 2))
            if code == 0 { return true }
            let valueEnd = o + 4 + size
            guard valueEnd <= to else { return false }
            body(code, (o + 4)..<valueEnd)
            o += 4 + ((size + 3) & ~3)
        }
        return true
    }
}
