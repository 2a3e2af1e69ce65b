import Foundation
import Testing
import TestSupport
import WireDecoding

/// A frame copied out of the reader, so it can outlive the buffer and be compared.
struct ReadFrame: Equatable {
    var data: [UInt8]
    var linkType: UInt32
    var nanoseconds: Int64
    var originalLength: Int
    var dataOffset: Int
    var interfaceID: Int
    var frameNumber: Int
    var comment: String?

    init(_ f: CaptureFrame) {
        data = Array(f.data)
        linkType = f.linkType
        nanoseconds = f.timestamp.nanoseconds
        originalLength = f.originalLength
        dataOffset = f.dataOffset
        interfaceID = f.interfaceID
        frameNumber = f.frameNumber
        comment = f.comment?.text
    }
}

/// The outcome of reading a whole buffer. `positions[i]` is the reader's position after frame i.
struct ReadOutcome {
    var format: CaptureFormat
    var frames: [ReadFrame]
    var positions: [Int]
    var warnings: [String]
    var isTruncated: Bool
    var isCorrupt: Bool
    var skippedRecords: Int
    var fileComments: [String]
    var sectionCount: Int
    var position: Int
}

/// Reads every frame; a guard on the number of steps turns a hang into a failure.
func readAll(_ bytes: [UInt8]) -> Result<ReadOutcome, CaptureFileError> {
    bytes.withUnsafeBytes { raw in
        var reader: CaptureFileReader
        do throws(CaptureFileError) {
            reader = try CaptureFileReader(raw)
        } catch {
            return .failure(error)
        }
        var frames: [ReadFrame] = []
        var positions: [Int] = []
        while let f = reader.next() {
            frames.append(ReadFrame(f))
            positions.append(reader.position)
            if frames.count > bytes.count / 12 + 1 {
                Issue.record("reader did not advance")
                break
            }
        }
        // Reading past the end stays at the end and adds nothing.
        let warningCount = reader.warnings.count
        #expect(reader.next() == nil && reader.warnings.count == warningCount)
        return .success(ReadOutcome(
            format: reader.format, frames: frames, positions: positions, warnings: reader.warnings,
            isTruncated: reader.isTruncated, isCorrupt: reader.isCorrupt,
            skippedRecords: reader.skippedRecords, fileComments: reader.fileComments,
            sectionCount: reader.sectionCount, position: reader.position))
    }
}

func readAllOrFail(_ bytes: [UInt8]) throws -> ReadOutcome {
    try readAll(bytes).get()
}

/// Feeds `bytes` to the streaming API in `chunk`-sized pieces, each time copying the
/// unconsumed tail and the new piece into a fresh buffer (and freeing the old one), as a pipe
/// reader would. With `dropConsumed` false the buffer keeps growing from the first byte.
func readStreaming(_ bytes: [UInt8], chunk: Int, dropConsumed: Bool = true) throws -> (frames: [ReadFrame], truncated: Bool, warnings: [String]) {
    var fed = min(max(chunk, 4), bytes.count)
    var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: fed, alignment: 8)
    defer { buffer.deallocate() }
    bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<fed])) }
    var dropped = 0
    var reader = try CaptureFileReader(UnsafeRawBufferPointer(buffer))
    var frames: [ReadFrame] = []
    var steps = 0
    loop: while true {
        steps += 1
        if steps > 10 * bytes.count + 100 {
            Issue.record("streaming reader did not advance")
            break loop
        }
        switch reader.next(moreDataMayFollow: fed < bytes.count) {
        case .frame(let f):
            frames.append(ReadFrame(f))
        case .needMoreData:
            if fed == bytes.count {
                Issue.record("asked for more data after being told there is none")
                break loop
            }
            let consumedHere = reader.position - dropped
            let drop = dropConsumed ? consumedHere : 0
            let keep = buffer.count - drop
            let add = min(chunk, bytes.count - fed)
            let next = UnsafeMutableRawBufferPointer.allocate(byteCount: keep + add, alignment: 8)
            next.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[drop...]))
            bytes.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: next[keep...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[fed..<(fed + add)]))
            }
            reader.rebase(UnsafeRawBufferPointer(next), droppingConsumed: drop)
            buffer.deallocate()
            buffer = next
            fed += add
            dropped += drop
        case .end:
            break loop
        }
    }
    return (frames, reader.isTruncated, reader.warnings)
}

// MARK: - Byte helpers

extension Array where Element == UInt8 {
    func le32(_ o: Int) -> UInt32 {
        UInt32(self[o]) | UInt32(self[o + 1]) << 8 | UInt32(self[o + 2]) << 16 | UInt32(self[o + 3]) << 24
    }

    mutating func putLE32(_ v: UInt32, at o: Int) {
        for i in 0..<4 { self[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    mutating func reverse(_ range: Range<Int>) {
        self[range].reverse()
    }
}

/// Record boundaries of a little-endian µs pcap, found by the plainest possible loop, as an
/// independent count to check the reader against.
func pcapRecordSpans(_ file: [UInt8]) -> [(header: Int, caplen: Int)] {
    var spans: [(Int, Int)] = []
    var o = 24
    while o + 16 <= file.count {
        let caplen = Int(file.le32(o + 8))
        guard o + 16 + caplen <= file.count else { break }
        spans.append((o, caplen))
        o += 16 + caplen
    }
    return spans
}

/// The same little-endian pcap written big-endian: every header field byte-swapped.
func pcapToBigEndian(_ file: [UInt8]) -> [UInt8] {
    var out = file
    out.reverse(0..<4)
    out.reverse(4..<6)
    out.reverse(6..<8)
    for o in stride(from: 8, to: 24, by: 4) { out.reverse(o..<(o + 4)) }
    for (h, _) in pcapRecordSpans(file) {
        for o in stride(from: h, to: h + 16, by: 4) { out.reverse(o..<(o + 4)) }
    }
    return out
}

/// The same pcap with the nanosecond magic and fractions scaled to nanoseconds.
func pcapToNanoseconds(_ file: [UInt8]) -> [UInt8] {
    var out = file
    out.putLE32(0xA1B2_3C4D, at: 0)
    for (h, _) in pcapRecordSpans(file) { out.putLE32(file.le32(h + 4) * 1000, at: h + 4) }
    return out
}

/// The same pcap in Kuznetsov's format: each record header grows by ifindex, protocol,
/// packet type and a pad byte (8 bytes).
func pcapToKuznetsov(_ file: [UInt8]) -> [UInt8] {
    var out = Array(file[0..<24])
    out.putLE32(0xA1B2_CD34, at: 0)
    for (h, caplen) in pcapRecordSpans(file) {
        out += file[h..<(h + 16)]
        out += [2, 0, 0, 0, 0x08, 0x00, 0, 0]
        out += file[(h + 16)..<(h + 16 + caplen)]
    }
    return out
}

/// A small payload whose bytes say which packet it is.
func payload(_ n: Int, size: Int = 10) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0) }
}

/// "1795744519.662680000" → nanoseconds, exactly.
func nanoseconds(fromDecimal text: String) -> Int64 {
    let parts = text.split(separator: ".")
    var frac = parts.count > 1 ? String(parts[1]) : ""
    while frac.count < 9 { frac += "0" }
    return Int64(parts[0])! * 1_000_000_000 + Int64(frac.prefix(9))!
}

/// A seeded generator, so that fuzzing failures can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
