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
            input = try InputBytes.open(path)
        } catch {
            queue.post(.failed(source: source, "\(error)"))
            return
        }
        queue.post(.inputOpened(source: source, bytes: input))
        let decoder = TraceDecoder()
        decoder.requiredAuthKey = hepKey
        var report = LoadReport(source: input.name, format: "")
        input.withBytes { bytes in
            var reader: CaptureFileReader
            do {
                reader = try CaptureFileReader(bytes)
            } catch CaptureFileError.empty {
                queue.post(.failed(source: source, "\(input.name): empty file, not a capture"))
                return
            } catch CaptureFileError.notACapture(let why) {
                queue.post(.failed(source: source, "\(input.name): \(why)"))
                return
            } catch {
                queue.post(.failed(source: source, "\(input.name): \(error)"))
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
                queue.post(.progress(source: source, done: reader.position, total: bytes.count))
                queue.post(.counters(source: source, decoder.counters))
                // Let the viewer keep up rather than queueing the whole file in memory.
                while queue.pendingCount > 64 { usleep(1000) }
            }
            var mapped = 0
            while let frame = reader.next() {
                input.mapIn(from: reader.position, mapped: &mapped)
                report.frames += 1
                let interface = frame.interfaceID
                decoder.decode(frame: frame) { batch.append($0, interface: interface) }
                if batch.count >= batchSize { flush() }
            }
            decoder.finish { batch.append($0) }
            flush()
            report.warnings = reader.warnings.map { "\(input.name): \($0)" }
            report.comments = reader.fileComments
            queue.post(.progress(source: source, done: bytes.count, total: bytes.count))
            queue.post(.counters(source: source, decoder.counters))
            queue.post(.finished(source: source, report))
        }
    }
}
