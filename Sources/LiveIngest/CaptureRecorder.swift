#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import WireDecoding

/// Records every received HEP packet as a HEP-over-UDP frame in a pcap file, so that the file
/// reopens exactly as it was seen live, correlation ids included. Rotates to a new file past a
/// size limit: NAME.pcap, NAME.1.pcap, NAME.2.pcap...
public final class CaptureRecorder: @unchecked Sendable {
    private let lock = NIOLock()
    private let basePath: String
    private let rotateBytes: Int?
    private var fd: Int32 = -1
    private var written = 0
    private var buffer: [UInt8] = []
    public private(set) var files: [String] = []
    public private(set) var failure: String?

    public init(path: String, rotateBytes: Int? = nil) throws {
        basePath = path
        self.rotateBytes = rotateBytes
        try lock.withLock { try openNext() }
    }

    deinit { close() }

    func record(_ packet: UnsafeRawBufferPointer, from: Endpoint, to: Endpoint, at time: Timestamp) {
        // Collectors receive over TCP messages a UDP frame cannot carry; cut at the IPv4 maximum.
        let payload = Array(packet.prefix(65_507))
        let frame = FrameBuilder.udp(from: from, to: to, payload: payload)
        lock.withLock {
            guard fd >= 0 else { return }
            if let limit = rotateBytes, written + 16 + frame.count > limit, written > 24 {
                do { try openNext() } catch { failure = "\(error)"; return }
            }
            var record = PcapWriter.recordHeader(time: time, length: frame.count)
            record += frame
            buffer += record
            written += record.count
            if buffer.count >= 1 << 16 { flushLocked() }
        }
    }

    public func flush() { lock.withLock { flushLocked() } }

    public func close() {
        lock.withLock {
            flushLocked()
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    private func openNext() throws {
        flushLocked()
        if fd >= 0 { Glibc.close(fd) }
        let path: String
        if files.isEmpty {
            path = basePath
        } else {
            let stem = basePath.hasSuffix(".pcap") ? String(basePath.dropLast(5)) : basePath
            path = "\(stem).\(files.count).pcap"
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CaptureRecorderError("\(path): \(String(cString: strerror(errno)))") }
        files.append(path)
        buffer = PcapWriter().bytes  // the file header
        written = buffer.count
    }

    private func flushLocked() {
        guard fd >= 0, !buffer.isEmpty else { return }
        var off = 0
        var failed = false
        buffer.withUnsafeBytes { b in
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 {
                    if errno == EINTR { continue }
                    failure = "\(files.last ?? basePath): recording stopped: \(String(cString: strerror(errno)))"
                    failed = true
                    return
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
        // A file that cannot be written to (a full disk) is given up: written again, a part
        // already there would repeat, and the buffer would grow for as long as the run.
        if failed {
            Glibc.close(fd)
            fd = -1
        }
    }
}

public struct CaptureRecorderError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
