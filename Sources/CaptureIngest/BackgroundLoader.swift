import Foundation
import TraceModel
import WireDecoding

/// Reads a capture file on its own thread and posts decoded batches, progress and counters to
/// an IngestQueue, so the viewer can show groups filling in while a big file loads.
public enum BackgroundLoader {
    public static let batchSize = 4096
    /// How much of the mapped file is read before its pages are given back to the kernel.
    public static let defaultReleaseStep = 8 << 20

    /// Starts loading `path` as source number `source`. Returns at once.
    public static func start(path: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil) {
        if let error = DetachedThread.start(name: "hepscope-load-\(source)", {
            load(path: path, source: source, queue: queue, hepKey: hepKey)
        }) {
            queue.post(.failed(source: source, DetachedThread.failure("load \(path)", error)))
        }
    }

    /// The loading itself, on the calling thread (tests call it directly).
    public static func load(path: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil,
                            releaseStep: Int = defaultReleaseStep) {
        var frames: InputFrames
        do {
            // A gzip file inflates on another thread while this one reads what is there.
            frames = try InputFrames(try InputBytes.open(path, whileInflating: true))
        } catch {
            queue.post(.failed(source: source, "\(error)"))
            return
        }
        let input = frames.input
        queue.post(.inputOpened(source: source, bytes: input))
        let decoder = TraceDecoder()
        decoder.requiredAuthKey = hepKey
        var report = LoadReport(source: input.name, format: frames.format)
        var batch = MessageBatch()
        var released = 0
        func flush(position: Int, estimatedTotal: Int) {
            guard !batch.isEmpty else { return }
            queue.post(.batch(source: source, batch))
            batch = MessageBatch()
            // Batches carry copies of their payloads: the pages read so far can leave our
            // resident memory at once (a message shown later is read back from the file).
            if position - released >= releaseStep {
                input.release(upTo: position)
                released = position
            }
            queue.post(.progress(source: source, done: position, total: estimatedTotal))
            queue.post(.counters(source: source, decoder.counters))
            // Let the viewer keep up rather than queueing the whole file in memory.
            while queue.pendingCount > 64 { usleep(1000) }
        }
        // Caught up with an input still inflating: what has been read goes to the model now.
        while let frame = frames.next(beforeWaiting: flush) {
            report.frames += 1
            let interface = frame.interfaceID
            decoder.decode(frame: frame) { batch.append($0, interface: interface) }
            if batch.count >= batchSize { flush(position: frames.position, estimatedTotal: frames.available.estimatedTotal) }
        }
        decoder.finish { batch.append($0) }
        flush(position: frames.position, estimatedTotal: frames.available.estimatedTotal)
        report.warnings = frames.warnings
        report.comments = frames.reader.fileComments
        let total = frames.available.bytes.count
        queue.post(.progress(source: source, done: total, total: total))
        queue.post(.counters(source: source, decoder.counters))
        queue.post(.finished(source: source, report))
    }
}
