import FuzzSupport
import TraceModel
import WireDecoding

// pcap and pcapng from arbitrary bytes. Whole: every frame through TraceDecoder into a model
// that keeps payloads as offsets into the input. Streamed (as from a pipe), in chunks of
// changing sizes: the same frames, the same warnings.

/// The fuzz input as the model's input file: payloads are read back from it by offset.
final class FuzzInput: PayloadSource, @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(bytes) }
}

/// What a frame says, copied out so frames read from different buffers can be compared.
struct FrameSummary: Equatable {
    static func == (a: FrameSummary, b: FrameSummary) -> Bool {
        Same.bytes(a.data, b.data) && a.linkType == b.linkType && a.timestamp == b.timestamp
            && a.originalLength == b.originalLength && a.dataOffset == b.dataOffset && a.interfaceID == b.interfaceID
            && a.frameNumber == b.frameNumber && a.comment == b.comment
    }

    var data: [UInt8]
    var linkType: UInt32
    var timestamp: Timestamp
    var originalLength: Int
    var dataOffset: Int
    var interfaceID: Int
    var frameNumber: Int
    var comment: String?

    init(_ f: CaptureFrame) {
        data = Array(f.data)
        linkType = f.linkType
        timestamp = f.timestamp
        originalLength = f.originalLength
        dataOffset = f.dataOffset
        interfaceID = f.interfaceID
        frameNumber = f.frameNumber
        comment = f.comment?.text
    }
}

struct ReadOutcome: Equatable {
    var frames: [FrameSummary] = []
    var warnings: [String] = []
    var suppressedWarnings = 0
    var truncated = false
    var corrupt = false
    var skippedRecords = 0
    var fileComments: [String] = []

    mutating func finish(_ reader: CaptureFileReader) {
        warnings = reader.warnings
        suppressedWarnings = reader.suppressedWarnings
        truncated = reader.isTruncated
        corrupt = reader.isCorrupt
        skippedRecords = reader.skippedRecords
        fileComments = reader.fileComments
    }
}

/// Chunk sizes cycled through when streaming, starting at a place set by the input's size: small
/// ones cut headers and records at many places, large ones keep the number of steps down.
let chunkSizes = [4, 1500, 17, 333, 64, 4096]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = CaptureFileReader.looksLikeCapture(bytes)
    guard let whole = readWhole(bytes) else { return 0 }
    let streamed = readStreamed(bytes, firstChunk: size % chunkSizes.count)
    Check.that(streamed == whole, "streamed reading differs: \(diff(whole, streamed))")
    return 0
}

func readWhole(_ bytes: UnsafeRawBufferPointer) -> ReadOutcome? {
    var reader: CaptureFileReader
    do {
        reader = try CaptureFileReader(bytes)
    } catch {
        return nil
    }
    var outcome = ReadOutcome()
    var model = ModelProbe()
    let input = model.addInput(FuzzInput(bytes))
    let decoder = TraceDecoder()
    while let frame = reader.next() {
        Check.within(frame.data, bytes, "frame \(frame.frameNumber)")
        if frame.data.count > 0 {
            Check.that(frame.data.baseAddress! - bytes.baseAddress! == frame.dataOffset, "frame data offset")
        }
        Check.that(frame.frameNumber == outcome.frames.count + 1, "frame number \(frame.frameNumber)")
        outcome.frames.append(FrameSummary(frame))
        decoder.decode(frame: frame) { m in
            checkOffset(m, bytes)
            model.add(m, input: input, interface: frame.interfaceID)
        }
    }
    decoder.finish { m in
        checkOffset(m, bytes)
        model.add(m, input: input)
    }
    _ = decoder.counters
    model.readBack()
    outcome.finish(reader)
    return outcome
}

/// A payload said to sit at an offset of the input must be exactly those bytes: the model
/// keeps only the offset and reads the payload back from the file.
func checkOffset(_ m: DecodedMessage, _ bytes: UnsafeRawBufferPointer) {
    guard let offset = m.payloadInputOffset else { return }
    Check.that(offset >= 0 && offset + m.payload.count <= bytes.count, "payload offset \(offset) past the input")
    Check.that(Same.bytes(bytes.slice(offset..<offset + m.payload.count), m.payload), "payload offset \(offset) points elsewhere")
}

/// Reads as StreamLoader does: each step keeps the unconsumed tail, appends the next chunk in a
/// new buffer of exactly that size (so the sanitizer sees any read past it) and rebases.
func readStreamed(_ bytes: UnsafeRawBufferPointer, firstChunk: Int) -> ReadOutcome? {
    var outcome = ReadOutcome()
    var reader: CaptureFileReader?
    var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 8)
    defer { storage.deallocate() }
    var filled = 0, dropped = 0, offset = 0, step = firstChunk
    while true {
        let n = min(chunkSizes[step % chunkSizes.count], bytes.count - offset)
        step += 1
        let eof = n == 0
        let consumed = reader.map { $0.position - dropped } ?? 0
        Check.that(consumed >= 0 && consumed <= filled, "reader consumed \(consumed) of \(filled) bytes")
        let keep = filled - consumed
        let next = UnsafeMutableRawBufferPointer.allocate(byteCount: keep + n, alignment: 8)
        if keep > 0 { next.baseAddress!.copyMemory(from: storage.baseAddress! + consumed, byteCount: keep) }
        if n > 0 { (next.baseAddress! + keep).copyMemory(from: bytes.baseAddress! + offset, byteCount: n) }
        offset += n
        let view = UnsafeRawBufferPointer(next)
        if reader == nil {
            if view.count < 4, !eof {
                storage.deallocate(); storage = next; filled = view.count
                continue
            }
            do {
                reader = try CaptureFileReader(view)
            } catch {
                next.deallocate()
                return nil
            }
        } else {
            reader!.rebase(view, droppingConsumed: consumed)
            dropped += consumed
        }
        storage.deallocate(); storage = next; filled = view.count
        reading: while true {
            switch reader!.next(moreDataMayFollow: !eof) {
            case .frame(let frame):
                Check.within(frame.data, view, "streamed frame \(frame.frameNumber)")
                outcome.frames.append(FrameSummary(frame))
            case .needMoreData:
                Check.that(!eof, "more data asked for at the end")
                break reading
            case .end:
                break reading
            }
        }
        if eof { break }
    }
    outcome.finish(reader!)
    return outcome
}

func diff(_ a: ReadOutcome, _ b: ReadOutcome?) -> String {
    guard let b else { return "the stream was refused" }
    if a.frames.count != b.frames.count { return "\(a.frames.count) frames whole, \(b.frames.count) streamed; \(a.warnings) / \(b.warnings)" }
    if let i = a.frames.indices.first(where: { a.frames[$0] != b.frames[$0] }) {
        return "frame \(i + 1): \(a.frames[i]) / \(b.frames[i])"
    }
    return "whole \(a.warnings) truncated \(a.truncated) corrupt \(a.corrupt) skipped \(a.skippedRecords) comments \(a.fileComments); "
        + "streamed \(b.warnings) truncated \(b.truncated) corrupt \(b.corrupt) skipped \(b.skippedRecords) comments \(b.fileComments)"
}

// Without libFuzzer (a normal build), the target replays the inputs named on its command line.
#if !FUZZING
@main enum Replay {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
