/// Reads pcap and pcapng from bytes in memory, yielding frames as views into those bytes.
///
/// Whole files: create it over the mapped file and call `next()` until nil. Streams (a pipe from
/// `tcpdump -w -`): create it over the first chunk (at least 4 bytes, or all there is), call
/// `next(moreDataMayFollow: true)` until `.needMoreData`, then build a buffer holding the
/// unconsumed tail (`position` onwards) plus the new bytes and hand it over with `rebase`;
/// at end of input call `next(moreDataMayFollow: false)` to drain and to report a cut record.
///
/// Bad input never traps or loops: every step consumes at least 12 bytes or stops reading, and
/// the reason for stopping is left in `warnings`.
public struct CaptureFileReader {
    public let format: CaptureFormat
    /// Problems met, in order. Capped at `warningLimit`; later ones are only counted.
    public private(set) var warnings: [String] = []
    public private(set) var suppressedWarnings = 0
    /// The data ended inside a record.
    public private(set) var isTruncated = false
    /// Reading stopped at a record whose framing is broken (a length that cannot be right).
    public private(set) var isCorrupt = false
    /// Records dropped because they could not be used (each with a warning).
    public private(set) var skippedRecords = 0
    /// Frames returned so far; also the number of the last one.
    public private(set) var frameCount = 0

    /// Bytes consumed so far, counted from the first byte of the input.
    public var position: Int { discarded + cursor }
    /// pcapng section header comments (opt_comment), from every section read so far.
    public var fileComments: [String] { pcapng?.fileComments ?? [] }
    /// pcapng sections started so far (0 for pcap).
    public var sectionCount: Int { pcapng?.sectionCount ?? 0 }
    /// The pcap header's link type, or nil for pcapng (where each interface has its own) and
    /// before the header has been read.
    public var pcapLinkType: UInt32? { pcap.flatMap { $0.headerRead ? $0.linkType : nil } }

    public static let warningLimit = 100

    private var bytes: UnsafeRawBufferPointer
    private var cursor = 0
    private var discarded = 0
    private var stopped = false
    private var pcap: PcapReader?
    private var pcapng: PcapngReader?

    /// Recognises the format and reads the file header or first section header when the bytes
    /// hold all of it (otherwise `next` does, once they arrive).
    public init(_ bytes: UnsafeRawBufferPointer) throws(CaptureFileError) {
        guard !bytes.isEmpty else { throw .empty }
        self.bytes = bytes
        if let reader = PcapReader(magic: bytes) {
            format = .pcap
            pcap = reader
        } else if PcapngReader.looksLikeSectionHeader(bytes) {
            format = .pcapng
            pcapng = PcapngReader()
        } else {
            throw .notACapture(Self.describeUnrecognised(bytes))
        }
        var unused = CaptureFrame.placeholder
        switch step(moreDataMayFollow: true, frame: &unused) {
        case .skip(let consumed, let warning, _):
            cursor += consumed
            if let warning { warn(warning) }
        case .corrupt(let why):
            throw .notACapture("not a usable pcapng file: \(why)")
        case .frame, .needMoreData, .end, .truncated:
            break  // a header is never a frame; short input is reported by next()
        }
    }

    /// True when the bytes start like pcap (any byte order or timestamp precision) or pcapng.
    public static func looksLikeCapture(_ bytes: UnsafeRawBufferPointer) -> Bool {
        PcapReader(magic: bytes) != nil || PcapngReader.looksLikeSectionHeader(bytes)
    }

    /// The next frame, or nil at the end of the data. A record cut off by the end of the data
    /// sets `isTruncated` and leaves a warning.
    public mutating func next() -> CaptureFrame? {
        switch next(moreDataMayFollow: false) {
        case .frame(let frame): return frame
        case .needMoreData, .end: return nil
        }
    }

    /// One streaming step. With `moreDataMayFollow`, a record that runs past the end of the
    /// buffer gives `.needMoreData` and consumes nothing; without it, that record is reported
    /// as truncated and reading ends.
    public mutating func next(moreDataMayFollow: Bool) -> CaptureReadStep {
        if stopped { return .end }
        var frame = CaptureFrame.placeholder
        while true {
            switch step(moreDataMayFollow: moreDataMayFollow, frame: &frame) {
            case .frame(let consumed):
                cursor += consumed
                frameCount += 1
                frame.frameNumber = frameCount
                return .frame(frame)
            case .skip(let consumed, let warning, let skipped):
                cursor += consumed
                if skipped { skippedRecords += 1 }
                if let warning { warn(warning) }
            case .needMoreData:
                return .needMoreData
            case .end:
                return .end
            case .truncated(let why):
                isTruncated = true
                stopped = true
                warn("file truncated: \(why) (\(frameCount) frames read)")
                return .end
            case .corrupt(let why):
                isCorrupt = true
                stopped = true
                warn("stopped reading: \(why) (\(frameCount) frames read)")
                return .end
            }
        }
    }

    /// Swaps in a new buffer for streaming. `newBytes` must begin with the old buffer's bytes
    /// from offset `droppingConsumed` on (which must not exceed the bytes consumed in the old
    /// buffer), usually followed by newly read data. Frames returned earlier point into the old
    /// buffer and must not be used afterwards.
    public mutating func rebase(_ newBytes: UnsafeRawBufferPointer, droppingConsumed: Int) {
        precondition(droppingConsumed >= 0 && droppingConsumed <= cursor, "cannot drop bytes not yet consumed")
        precondition(newBytes.count >= bytes.count - droppingConsumed, "the unconsumed bytes must be kept")
        bytes = newBytes
        cursor -= droppingConsumed
        discarded += droppingConsumed
    }

    @inline(__always)
    private mutating func step(moreDataMayFollow: Bool, frame: inout CaptureFrame) -> ReaderStep {
        if pcap != nil {
            return pcap!.step(bytes, at: cursor, origin: discarded, moreDataMayFollow: moreDataMayFollow, frame: &frame)
        }
        return pcapng!.step(bytes, at: cursor, origin: discarded, moreDataMayFollow: moreDataMayFollow, frame: &frame)
    }

    private mutating func warn(_ message: String) {
        if warnings.count < Self.warningLimit {
            warnings.append(message)
        } else {
            suppressedWarnings += 1
        }
    }

    private static func describeUnrecognised(_ bytes: UnsafeRawBufferPointer) -> String {
        let start = bytes.hexPrefix()
        if bytes.count < 4 {
            return "not a pcap or pcapng file (only \(bytes.count) bytes: \(start))"
        }
        if bytes[0] == 0x1F, bytes[1] == 0x8B {
            return "gzip-compressed data, not a pcap or pcapng file (starts with \(start))"
        }
        if bytes.le32(0) == PcapngReader.sectionHeaderType {
            return "not a pcapng file: unknown byte-order magic (\(bytes.hexPrefix(at: 8)))"
        }
        if PcapReader.isUnsupportedVariant(bytes) {
            return "unsupported pcap variant (magic \(start))"
        }
        return "not a pcap or pcapng file (starts with \(start))"
    }
}
