#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WireDecoding

/// Reads a pcap or pcapng *stream* (stdin, a FIFO: `tcpdump -w - | hepscope -`) as it arrives,
/// posting what it decodes after every chunk, so the capture is seen live rather than at EOF.
public enum StreamLoader {
    /// Starts reading `fd` on its own thread. The descriptor is closed at the end.
    public static func start(fd: Int32, name: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil) {
        if let error = DetachedThread.start(name: "hepscope-stream-\(source)", {
            run(fd: fd, name: name, source: source, queue: queue, hepKey: hepKey)
        }) {
            close(fd)
            queue.post(.failed(source: source, DetachedThread.failure("read \(name)", error)))
        }
    }

    /// Opens `path` ("-" for stdin) and starts reading it. A FIFO's open waits for a writer,
    /// so it is opened on the reading thread: the viewer and the other sources go on meanwhile.
    public static func start(path: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil) {
        if path == "-" {
            let fd = dup(0)
            guard fd >= 0 else {
                queue.post(.failed(source: source, "stdin: \(String(cString: strerror(errno)))"))
                return
            }
            start(fd: fd, name: "stdin", source: source, queue: queue, hepKey: hepKey)
            return
        }
        if let error = DetachedThread.start(name: "hepscope-stream-\(source)", {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                queue.post(.failed(source: source, "\(path): \(String(cString: strerror(errno)))"))
                return
            }
            run(fd: fd, name: path, source: source, queue: queue, hepKey: hepKey)
        }) {
            queue.post(.failed(source: source, DetachedThread.failure("read \(path)", error)))
        }
    }

    /// The reading itself, on the calling thread.
    public static func run(fd: Int32, name: String, source: Int, queue: IngestQueue, hepKey: [UInt8]? = nil) {
        defer { close(fd) }
        let decoder = TraceDecoder()
        decoder.requiredAuthKey = hepKey
        var report = LoadReport(source: name, format: "")
        var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { storage.deallocate() }
        var filled = 0          // bytes held in storage
        var dropped = 0         // bytes discarded from the front so far
        var reader: CaptureFileReader?
        var eof = false
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)

        while !eof {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                queue.post(.failed(source: source, "\(name): \(String(cString: strerror(errno)))"))
                return
            }
            eof = n == 0
            total += max(n, 0)
            // Keep what the reader has not consumed, then append the new bytes.
            let consumed = reader.map { $0.position - dropped } ?? 0
            let keep = filled - consumed
            let needed = keep + max(n, 0)
            var next = storage
            if needed > storage.count {
                next = .allocate(byteCount: max(needed, storage.count * 2), alignment: 8)
            }
            if keep > 0 {
                memmove(next.baseAddress!, storage.baseAddress! + consumed, keep)  // may overlap
            }
            if n > 0 { chunk.withUnsafeBytes { (next.baseAddress! + keep).copyMemory(from: $0.baseAddress!, byteCount: n) } }
            let view = UnsafeRawBufferPointer(start: next.baseAddress, count: needed)
            if reader == nil {
                guard needed >= 4 || eof else { swapIfNew(&storage, next); filled = needed; continue }
                do {
                    reader = try CaptureFileReader(view)
                } catch CaptureFileError.notACapture(let why) {
                    queue.post(.failed(source: source, "\(name): \(why)"))
                    if next.baseAddress != storage.baseAddress { next.deallocate() }
                    return
                } catch {
                    queue.post(.failed(source: source, "\(name): empty input, not a capture"))
                    if next.baseAddress != storage.baseAddress { next.deallocate() }
                    return
                }
                report.format = reader!.format == .pcap ? "pcap stream" : "pcapng stream"
            } else {
                reader!.rebase(view, droppingConsumed: consumed)
                dropped += consumed
            }
            swapIfNew(&storage, next)
            filled = needed

            var batch = MessageBatch()
            reading: while true {
                switch reader!.next(moreDataMayFollow: !eof) {
                case .frame(let frame):
                    report.frames += 1
                    decoder.decode(frame: frame) { m in
                        var owned = m
                        owned.payloadInputOffset = nil  // the bytes do not stay: copy them
                        batch.append(owned, interface: frame.interfaceID)
                    }
                case .needMoreData, .end:
                    break reading
                }
            }
            if eof { decoder.finish { batch.append($0) } }
            if !batch.isEmpty { queue.post(.batch(source: source, batch)) }
            queue.post(.counters(source: source, decoder.counters))
            queue.post(.progress(source: source, done: total, total: 0))
        }
        report.warnings = (reader?.warnings ?? []).map { "\(name): \($0)" }
        report.comments = reader?.fileComments ?? []
        queue.post(.finished(source: source, report))
    }

    private static func swapIfNew(_ storage: inout UnsafeMutableRawBufferPointer, _ next: UnsafeMutableRawBufferPointer) {
        if next.baseAddress != storage.baseAddress {
            storage.deallocate()
            storage = next
        }
    }
}
