import Foundation
import WireDecoding

/// A gzip capture inflated on a thread of its own into an unlinked temporary file that is
/// mapped in advance over as much address space as a capture may inflate to: the loader reads
/// the first frames while the rest still inflates, so a big compressed capture shows its first
/// calls at once rather than after the whole file, and its payloads stay on disk like those of
/// any capture.
final class GrowingGunzip: @unchecked Sendable {
    let base: UnsafeRawPointer
    let reservedLength: Int
    /// A guess at the inflated size (gzip's trailer holds it modulo 4 GiB), for progress only.
    let estimatedTotal: Int
    private let condition = NSCondition()
    private var inflated = 0
    private var finished = false
    private var failure: String?

    /// Where the inflating stands.
    struct State {
        var available: Int
        var complete: Bool
        /// Why inflating stopped early (corrupt data, a full disk), when it did.
        var failure: String?
    }

    private init(base: UnsafeRawPointer, reservedLength: Int, estimatedTotal: Int) {
        self.base = base
        self.reservedLength = reservedLength
        self.estimatedTotal = estimatedTotal
    }

    /// Starts inflating `compressed` (gzip bytes); nil when no temporary file can be made or
    /// mapped, and the caller inflates the whole file first instead.
    /// `keepFree`: bytes to leave free on the disk (see `SpoolFile.room`).
    static func start(_ compressed: InputBytes, name: String, directories: [String] = SpoolFile.defaultDirectories,
                      reserve: Int = InputBytes.maximumInflatedSize, keepFree: Int? = nil) -> GrowingGunzip? {
        guard let fd = SpoolFile.makeTemporaryFile(in: directories) else { return nil }
        // Pages past the end of the file are never read: the loader reads only what has been
        // written (`available`), and the file only grows.
        guard let map = mmap(nil, reserve, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            close(fd)
            return nil
        }
        madvise(map, reserve, MADV_SEQUENTIAL)
        let hint = compressed.withBytes { b in
            b.count >= 4 ? Int(UInt32(b[b.count - 4]) | UInt32(b[b.count - 3]) << 8
                               | UInt32(b[b.count - 2]) << 16 | UInt32(b[b.count - 1]) << 24) : 0
        }
        // Past 4 GiB (or with several gzip members) the trailer says less than the truth.
        let estimate = max(hint, compressed.count * 4)
        // Too big for the disk by the looks of it: inflated whole instead, into memory if need be.
        if let room = SpoolFile.room(fd, keepFree: keepFree), estimate > room {
            munmap(map, reserve)
            close(fd)
            return nil
        }
        let g = GrowingGunzip(base: UnsafeRawPointer(map), reservedLength: reserve, estimatedTotal: estimate)
        let thread = Thread { g.inflate(compressed, into: fd, name: name, limit: reserve, keepFree: keepFree) }
        thread.name = "hepscope-gunzip"
        thread.start()
        return g
    }

    /// Bytes inflated so far.
    var available: Int {
        condition.lock()
        defer { condition.unlock() }
        return inflated
    }

    /// Waits until more than `count` bytes are there, or inflating has ended.
    func wait(forMoreThan count: Int) -> State {
        condition.lock()
        defer { condition.unlock() }
        while inflated <= count, !finished { condition.wait() }
        return State(available: inflated, complete: finished, failure: failure)
    }

    private func inflate(_ compressed: InputBytes, into fd: Int32, name: String, limit: Int, keepFree: Int?) {
        defer { close(fd) }
        let stream = InflateStream(format: .gzip)
        var written = 0
        var why: String?
        compressed.withBytes { b in
            do {
                var released = 0
                let done = try stream.feed(b, limit: limit) { piece, inputRead in
                    // The compressed pages read so far leave our resident memory as we go.
                    if inputRead - released >= 8 << 20 {
                        compressed.release(upTo: inputRead)
                        released = inputRead
                    }
                    if written == 0 || written / SpoolFile.roomCheckStep != (written + piece.count) / SpoolFile.roomCheckStep,
                       let room = SpoolFile.room(fd, keepFree: keepFree), room < SpoolFile.roomCheckStep {
                        why = "stopped inflating: the disk holding the temporary file is nearly full; set TMPDIR to a directory with room"
                        return false
                    }
                    guard SpoolFile.writeAll(fd, piece) else {
                        why = "cannot write the inflated capture to a temporary file (\(String(cString: strerror(errno)))); set TMPDIR to a directory with room"
                        return false
                    }
                    written += piece.count
                    publish(written)
                    return true
                }
                if !done { why = "gzip data truncated" }
            } catch let e as InflateError {
                switch e {
                case .tooLarge: why = "gzip content larger than \(limit >> 30) GiB"
                case .corrupt(let reason): why = "corrupt gzip data (\(reason))"
                case .stopped: break  // `why` says what the writing met
                default: why = "gzip: \(e)"
                }
            } catch {
                why = "gzip: \(error)"
            }
        }
        condition.lock()
        if let why { failure = written == 0 ? "\(name): \(why) before any content" : "\(name): \(why)" }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func publish(_ count: Int) {
        condition.lock()
        inflated = count
        condition.broadcast()
        condition.unlock()
    }
}
