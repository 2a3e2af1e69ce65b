/// Classic libpcap files: a 24-byte file header, then records of a 16-byte header (24 in the
/// Kuznetsov variant) followed by the captured bytes, with no padding.
struct PcapReader: ByteOrderedReader {
    /// libpcap's MAXIMUM_SNAPLEN: no writer produces larger records, so a bigger length means
    /// the framing is lost rather than that a huge packet follows.
    static let maximumCapturedLength: UInt32 = 262_144

    /// Versions before 2.4 may hold caplen and origlen the other way round (libpcap sf-pcap.c).
    enum LengthOrder { case normal, swapped, maybeSwapped }

    let bigEndian: Bool
    let nanosecondTimestamps: Bool
    let recordHeaderSize: Int
    private(set) var headerRead = false
    private(set) var linkType: UInt32 = 0
    private(set) var snapLength: UInt32 = 0
    private var lengthOrder = LengthOrder.normal

    /// Recognises the magic number in either byte order; nil when it is not a pcap magic.
    init?(magic bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4 else { return nil }
        let m = bytes.le32(0)
        switch m {
        case 0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34: bigEndian = false
        case 0xD4C3_B2A1, 0x4D3C_B2A1, 0x34CD_B2A1: bigEndian = true
        default: return nil
        }
        let native = bigEndian ? m.byteSwapped : m
        nanosecondTimestamps = native == 0xA1B2_3C4D
        recordHeaderSize = native == 0xA1B2_CD34 ? 24 : 16
    }

    /// Magic numbers of pcap relatives that hold something else or a different layout
    /// (Navtel, IXIA hardware/software captures): named in the error instead of "unknown".
    static func isUnsupportedVariant(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4 else { return false }
        let m = bytes.le32(0)
        return [0xA12B_3C4D, 0xA1B2_34CD, 0xA1B2_C3CB].contains { $0 == m || $0.byteSwapped == m }
    }

    mutating func step(
        _ b: UnsafeRawBufferPointer, at p: Int, origin: Int, moreDataMayFollow more: Bool,
        frame: inout CaptureFrame
    ) -> ReaderStep {
        let remaining = b.count - p
        if !headerRead {
            guard remaining >= 24 else {
                return more ? .needMoreData : .truncated("the 24-byte pcap file header is incomplete (\(remaining) bytes)")
            }
            return readHeader(b, at: p)
        }
        if remaining == 0 { return more ? .needMoreData : .end }
        guard remaining >= recordHeaderSize else {
            if more { return .needMoreData }
            return .truncated("last record at byte \(origin + p) is incomplete (\(remaining) of \(recordHeaderSize) header bytes)")
        }
        var caplen = u32(b, p + 8)
        var origlen = u32(b, p + 12)
        switch lengthOrder {
        case .normal: break
        case .swapped: swap(&caplen, &origlen)
        case .maybeSwapped: if caplen > origlen { swap(&caplen, &origlen) }
        }
        guard caplen <= Self.maximumCapturedLength else {
            return .corrupt("record at byte \(origin + p) claims \(caplen) captured bytes (more than \(Self.maximumCapturedLength))")
        }
        let size = recordHeaderSize + Int(caplen)
        guard size <= remaining else {
            if more { return .needMoreData }
            return .truncated("last record at byte \(origin + p) is incomplete (\(remaining) of \(size) bytes)")
        }
        let seconds = Int64(u32(b, p))
        let fraction = Int64(u32(b, p + 4))
        let time = nanosecondTimestamps
            ? Timestamp(seconds: seconds, nanoseconds: fraction)
            : Timestamp(seconds: seconds, microseconds: fraction)
        let start = p + recordHeaderSize
        frame.data = b.slice(start..<(start + Int(caplen)))
        frame.linkType = linkType
        frame.timestamp = time
        frame.originalLength = Int(origlen)
        frame.dataOffset = origin + start
        frame.interfaceID = 0
        return .frame(consumed: size)
    }

    private mutating func readHeader(_ b: UnsafeRawBufferPointer, at p: Int) -> ReaderStep {
        headerRead = true
        let major = u16(b, p + 4), minor = u16(b, p + 6)
        snapLength = u32(b, p + 16)
        // The upper bits carry the FCS length and flag, not the link type.
        linkType = u32(b, p + 20) & 0xFFFF
        var warning: String?
        if major == 2, minor < 3 {
            lengthOrder = .swapped
        } else if major == 2, minor == 3 {
            lengthOrder = .maybeSwapped
        } else if major != 2 {
            warning = "unexpected pcap version \(major).\(minor); reading it as 2.4"
        }
        return .skip(consumed: 24, warning: warning, skipped: false)
    }
}
