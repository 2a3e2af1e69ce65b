import Foundation
import TraceModel
import WireDecoding

/// What loading one input produced besides messages.
public struct LoadReport: Sendable {
    public var source: String
    public var format: String
    public var frames = 0
    public var warnings: [String] = []
    public var comments: [String] = []
}

/// The CPU time of each stage of a load made on one thread (`CaptureLoader.load(stages:)`),
/// for a benchmark: the decoding and the model's work each measured on their own, the
/// figures that changes to one of them move.
public final class StageTimes: @unchecked Sendable {
    public internal(set) var decodeSeconds = 0.0
    public internal(set) var modelSeconds = 0.0
    public init() {}

    /// This thread's CPU time, kernel time included (page faults, the model's memory).
    static var threadCPUSeconds: Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Reads capture files into a trace model: frames -> decoder -> store.
public enum CaptureLoader {
    /// Messages handed from the decoding thread to the model's at a time.
    static let batchSize = 2048

    /// Loads one file (or "-") into `store`, decoding with `decoder`. Throws only when the input
    /// cannot be read or is not a capture at all; damage inside a capture becomes warnings.
    /// With `stages`, on this thread alone, batch after batch, the time of each stage added
    /// to it.
    public static func load(
        _ input: InputBytes, into store: inout TraceStore, decoder: TraceDecoder, stages: StageTimes? = nil
    ) throws(InputError) -> LoadReport {
        var frames = try InputFrames(input)
        var report = LoadReport(source: input.name, format: frames.format)
        let inputID = store.addInput(input)
        // About one message per 550 bytes of capture, in the files we have seen.
        store.reserveCapacity(messages: input.expectedCount / 550)
        if let stages {
            report.frames = loadTimingStages(&frames, input: input, inputID: inputID, into: &store, decoder: decoder, stages)
            report.warnings = frames.warnings
            report.comments = frames.reader.fileComments
            return report
        }
        // Two stages on two cores: this thread builds the model while another decodes.
        let pipe = BatchPipe(capacity: 4)
        let decodingDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var sharedFrames = frames
        nonisolated(unsafe) var frameCount = 0
        let decoding: @Sendable () -> Void = {
            // Locals while decoding: the shared variables are only read before and written
            // after (each access to a captured variable is checked at run time).
            var frames = sharedFrames
            var count = 0
            var more = true
            while more {
                var batch = MessageBatch(capacity: CaptureLoader.batchSize)
                more = decodeBatch(&frames, decoder, into: &batch, frameCount: &count)
                pipe.put(batch, position: frames.position)
            }
            sharedFrames = frames
            frameCount = count
            pipe.close()
            decodingDone.signal()
        }
        if let error = DetachedThread.start(name: "hepscope-decode", decoding) {
            throw InputError(DetachedThread.failure("decode \(input.name)", error))
        }
        var released = 0
        while let (batch, position) = pipe.take() {
            store.add(batch, input: inputID)
            releaseIndexedPages(of: input, upTo: position, released: &released)
        }
        decodingDone.wait()
        frames = sharedFrames
        report.frames = frameCount
        report.warnings = frames.warnings
        report.comments = frames.reader.fileComments
        return report
    }

    /// The stages one after the other on this thread, each batch decoded, then added, each
    /// timed. Returns the frames read.
    private static func loadTimingStages(_ frames: inout InputFrames, input: InputBytes, inputID: UInt16,
                                         into store: inout TraceStore, decoder: TraceDecoder, _ stages: StageTimes) -> Int {
        var count = 0
        var released = 0
        var more = true
        while more {
            var batch = MessageBatch(capacity: batchSize)
            let t0 = StageTimes.threadCPUSeconds
            more = decodeBatch(&frames, decoder, into: &batch, frameCount: &count)
            let t1 = StageTimes.threadCPUSeconds
            store.add(batch, input: inputID)
            stages.decodeSeconds += t1 - t0
            stages.modelSeconds += StageTimes.threadCPUSeconds - t1
            releaseIndexedPages(of: input, upTo: frames.position, released: &released)
        }
        return count
    }

    /// Decodes frames into `batch` until it holds `batchSize` messages; at the end of the
    /// frames, adds what the decoder held back and returns false (no frames left).
    private static func decodeBatch(_ frames: inout InputFrames, _ decoder: TraceDecoder,
                                    into batch: inout MessageBatch, frameCount: inout Int) -> Bool {
        while batch.count < batchSize {
            guard let frame = frames.next() else {
                decoder.finish { batch.append($0, interface: 0, referencingInput: true) }
                return false
            }
            frameCount += 1
            let interface = frame.interfaceID
            decoder.decode(frame: frame) { batch.append($0, interface: interface, referencingInput: true) }
        }
        return true
    }

    /// Pages already indexed leave our resident memory, every 8 MiB read; payloads are read
    /// back on demand.
    private static func releaseIndexedPages(of input: InputBytes, upTo position: Int, released: inout Int) {
        guard position - released >= 8 << 20 else { return }
        input.release(upTo: position)
        released = position
    }
}
