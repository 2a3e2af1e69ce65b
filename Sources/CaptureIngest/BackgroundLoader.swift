import Foundation
import TraceModel
import WireDecoding

/// Reads a capture file on its own thread and posts decoded batches, progress and counters to
/// an IngestQueue, so the viewer can show groups filling in while a big file loads.
public enum BackgroundLoader {
    public static let batchSize = 4096
    /// How much of the mapped file is read before its pages are given back to the kernel.
    public static let defaultReleaseStep = 8 << 20
    /// How much more of a gzip file still inflating the reader waits for once it has caught up.
    static let inflatedStep = 1 << 20

    /// Starts loading `path` as source number `source`. Returns at once.
    public static func start(path: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil) {
        let thread = Thread {
            load(path: path, source: source, queue: queue, hepKey: hepKey)
        }
        thread.name = "hepscope-load-\(source)"
        thread.start()
    }

    /// The loading itself, on the calling thread (tests call it directly).
    public static func load(path: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil,
                            releaseStep: Int = defaultReleaseStep) {
        let input: InputBytes
        do {
            // A gzip file inflates on another thread while this one reads what is there.
            input = try InputBytes.open(path, whileInflating: true)
        } catch {
            queue.post(.failed(source: source, "\(error)"))
            return
        }
        // The first bytes, enough to tell the format (or all there will be).
        var available = input.waitForMore(than: 64)
        if available.bytes.isEmpty, let failure = available.failure {
            queue.post(.failed(source: source, failure))
            return
        }
        queue.post(.inputOpened(source: source, bytes: input))
        let decoder = TraceDecoder()
        decoder.requiredAuthKey = hepKey
        var report = LoadReport(source: input.name, format: "")
        var reader: CaptureFileReader
        do {
            reader = try CaptureFileReader(available.bytes)
        } catch {
            switch error {
            case .empty: queue.post(.failed(source: source, "\(input.name): empty file, not a capture"))
            case .notACapture(let why): queue.post(.failed(source: source, "\(input.name): \(why)"))
            }
            return
        }
        report.format = (reader.format == .pcap ? "pcap" : "pcapng") + (input.wasCompressed ? ".gz" : "")
        var batch = MessageBatch()
        var released = 0
        func flush() {
            guard !batch.isEmpty else { return }
            queue.post(.batch(source: source, batch))
            batch = MessageBatch()
            // Batches carry copies of their payloads: the pages read so far can leave our
            // resident memory at once (a message shown later is read back from the file).
            if reader.position - released >= releaseStep {
                input.release(upTo: reader.position)
                released = reader.position
            }
            queue.post(.progress(source: source, done: reader.position, total: available.estimatedTotal))
            queue.post(.counters(source: source, decoder.counters))
            // Let the viewer keep up rather than queueing the whole file in memory.
            while queue.pendingCount > 64 { usleep(1000) }
        }
        var mapped = 0
        reading: while true {
            switch reader.next(moreDataMayFollow: !available.complete) {
            case .frame(let frame):
                input.mapIn(from: reader.position, mapped: &mapped)
                report.frames += 1
                let interface = frame.interfaceID
                decoder.decode(frame: frame) { batch.append($0, interface: interface) }
                if batch.count >= batchSize { flush() }
            case .needMoreData:
                // The reader caught up with the inflating: what it has read goes to the model
                // now, and it waits for a good piece more (a batch per 64 KiB inflated would
                // cost the model more than the messages in it). Frames handed out so far point
                // into the same mapping, which stays put.
                flush()
                available = input.waitForMore(than: available.bytes.count + BackgroundLoader.inflatedStep - 1)
                reader.rebase(available.bytes, droppingConsumed: 0)
            case .end:
                break reading
            }
        }
        decoder.finish { batch.append($0) }
        flush()
        report.warnings = reader.warnings.map { "\(input.name): \($0)" }
        if let failure = available.failure { report.warnings.append(failure) }
        report.comments = reader.fileComments
        queue.post(.progress(source: source, done: available.bytes.count, total: available.bytes.count))
        queue.post(.counters(source: source, decoder.counters))
        queue.post(.finished(source: source, report))
    }
}
