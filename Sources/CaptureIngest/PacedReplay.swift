import Foundation
import TraceModel
import WireDecoding

/// Plays a capture file into an IngestQueue at the pace it was recorded, as if its messages
/// were arriving from the network now: `hepscope --demo` shows a live session this way.
public enum PacedReplay {
    /// Starts the replay on its own thread. Returns at once.
    public static func start(path: String, source: Int, queue: IngestQueue, speed: Double = 1) {
        if let error = DetachedThread.start(name: "hepscope-replay-\(source)", {
            replay(path: path, source: source, queue: queue, speed: speed)
        }) {
            queue.post(.failed(source: source, DetachedThread.failure("replay \(path)", error)))
        }
    }

    /// The replay itself, on the calling thread. Messages that were captured within a few
    /// milliseconds of each other go out as one batch.
    public static func replay(path: String, source: Int, queue: IngestQueue, speed: Double = 1,
                              sleep: (Double) -> Void = { if $0 > 0 { usleep(useconds_t($0 * 1e6)) } }) {
        let input: InputBytes
        do {
            input = try InputBytes.open(path)
        } catch {
            queue.post(.failed(source: source, "\(error)"))
            return
        }
        let decoder = TraceDecoder()
        var report = LoadReport(source: input.name, format: "")
        let started = Date()
        input.withBytes { bytes in
            guard var reader = try? CaptureFileReader(bytes) else {
                queue.post(.failed(source: source, "\(input.name): not a capture"))
                return
            }
            report.format = reader.format == .pcap ? "pcap" : "pcapng"
            var first: Timestamp?
            var batch = MessageBatch()
            var batchDue = 0.0
            func flush() {
                guard !batch.isEmpty else { return }
                // Wait until the batch's first message is due, measured from the start.
                sleep(batchDue - Date().timeIntervalSince(started))
                queue.post(.batch(source: source, batch))
                queue.post(.counters(source: source, decoder.counters))
                batch = MessageBatch()
            }
            while let frame = reader.next() {
                report.frames += 1
                let t0 = first ?? frame.timestamp
                first = t0
                let due = Double(frame.timestamp.nanoseconds - t0.nanoseconds) / 1e9 / max(speed, 0.001)
                if !batch.isEmpty, due - batchDue > 0.005 { flush() }
                if batch.isEmpty { batchDue = due }
                // Payloads are copied into the batch: nothing of the file is referenced later.
                decoder.decode(frame: frame) { m in
                    var copy = m
                    copy.payloadInputOffset = nil
                    batch.append(copy, interface: frame.interfaceID)
                }
            }
            decoder.finish { batch.append($0) }
            flush()
            report.warnings = reader.warnings.map { "\(input.name): \($0)" }
        }
        queue.post(.counters(source: source, decoder.counters))
        queue.post(.finished(source: source, report))
    }
}
