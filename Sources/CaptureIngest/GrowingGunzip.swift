import Foundation
import WireDecoding

/// A gzip capture inflated on a thread of its own into an unlinked temporary file that is
/// mapped in advance over as much address space as a capture may inflate to: the loader reads
/// the first frames while the rest still inflates, so a big compressed capture shows its first
/// calls at once rather than after the whole file, and its payloads stay on disk like those of
/// any capture.
final class GrowingGunzip: @unchecked Sendable {
    let base: UnsafeRawPointer
    /// A guess at the inflated size (gzip's trailer holds it modulo 4 GiB), for progress only.
    let estimatedTotal: Int
    private let condition = NSCondition()
    private var inflated = 0
    private var finished = false
    private var cancelled = false
    private var failure: String?
    /// The part of the reservation still mapped: all of it while inflating, the file's pages once
    /// done (the rest goes back, so many finished inputs do not use up the address space).
    private var mappedLength: Int
    /// Test hook: inflating stops after this many bytes until `resume()`.
    private var pauseAfter: Int?

    /// Where the inflating stands.
    struct State {
        var available: Int
        var complete: Bool
        /// Why inflating stopped early (corrupt data, a full disk), when it did.
        var failure: String?
    }

    private init(base: UnsafeRawPointer, reservedLength: Int, estimatedTotal: Int, pauseAfter: Int?) {
        self.base = base
        self.mappedLength = reservedLength
        self.estimatedTotal = estimatedTotal
        self.pauseAfter = pauseAfter
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
    }

    /// Starts inflating `compressed` (gzip bytes); nil when no temporary file can be made or
    /// mapped, or the disk looks too small for it, and the caller inflates the whole file
    /// first instead (into memory if need be). `room` says how much may still be written to a
    /// file's disk (`SpoolFile.room`).
    static func start(_ compressed: InputBytes, name: String, directories: [String] = SpoolFile.defaultDirectories,
                      reserve: Int = InputBytes.maximumInflatedSize,
                      room: @escaping @Sendable (Int32) -> Int? = { SpoolFile.room($0) },
                      pauseAfter: Int? = nil) -> GrowingGunzip? {
        // Pages past the end of the file are never read: the loader reads only what has been
        // written (`available`), and the file only grows.
        guard let (fd, map) = SpoolFile.makeGrowingMapping(in: directories, reserve: reserve) else { return nil }
        let hint = compressed.withBytes { b in
            b.count >= 4 ? Int(UInt32(b[b.count - 4]) | UInt32(b[b.count - 3]) << 8
                               | UInt32(b[b.count - 2]) << 16 | UInt32(b[b.count - 1]) << 24) : 0
        }
        // Past 4 GiB (or with several gzip members) the trailer says less than the truth.
        let estimate = max(hint, compressed.count * 4)
        // Room for it and for the step between two looks at the disk, or no start at all: a
        // file stopped part way for want of room would load less than the fallback does.
        if let left = room(fd), left < estimate + SpoolFile.roomCheckStep {
            munmap(UnsafeMutableRawPointer(mutating: map), reserve)
            close(fd)
            return nil
        }
        madvise(UnsafeMutableRawPointer(mutating: map), reserve, MADV_SEQUENTIAL)
        let g = GrowingGunzip(base: map, reservedLength: reserve, estimatedTotal: estimate,
                              pauseAfter: pauseAfter)
        // Without a thread of its own, the file is inflated the way used when this cannot start.
        guard DetachedThread.start(name: "hepscope-gunzip", {
            g.inflate(compressed, into: fd, name: name, limit: reserve, room: room)
        }) == nil else {
            munmap(UnsafeMutableRawPointer(mutating: map), reserve)
            close(fd)
            return nil
        }
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

    /// Nobody reads the input any more: inflating stops at its next piece.
    func cancel() {
        condition.lock()
        cancelled = true
        pauseAfter = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Test hook: lets a paused inflating go on to the end.
    func resume() {
        condition.lock()
        pauseAfter = nil
        condition.broadcast()
        condition.unlock()
    }

    private func inflate(_ compressed: InputBytes, into fd: Int32, name: String, limit: Int,
                         room: (Int32) -> Int?) {
        defer { close(fd) }
        let stream = InflateStream(format: .gzip)
        var written = 0
        var why: String?
        compressed.withBytes { b in
            do throws(InflateError) {
                var released = 0
                let done = try stream.feed(b, limit: limit) { piece, inputRead in
                    guard proceed(after: written) else { return false }
                    // The compressed pages read so far leave our resident memory as we go.
                    if inputRead - released >= 8 << 20 {
                        compressed.release(upTo: inputRead)
                        released = inputRead
                    }
                    if SpoolFile.lacksRoom(fd, written: written, adding: piece.count, room: room) {
                        why = "stopped inflating: the disk holding the temporary file is nearly full; set TMPDIR to a directory with room"
                        return false
                    }
                    guard SpoolFile.writeAll(fd, piece, at: written) else {
                        why = "cannot write the inflated capture to a temporary file (\(String(cString: strerror(errno)))); set TMPDIR to a directory with room"
                        return false
                    }
                    written += piece.count
                    publish(written)
                    return true
                }
                if !done { why = "gzip data truncated" }
            } catch {
                switch error {
                case .tooLarge: why = "gzip content larger than \(limit >> 30) GiB"
                case .corrupt(let reason): why = "corrupt gzip data (\(reason))"
                case .stopped: break  // `why` says what the writing met, if anything
                default: why = "gzip: \(error)"
                }
            }
        }
        condition.lock()
        if let why { failure = written == 0 ? "\(name): \(why) before any content" : "\(name): \(why)" }
        finished = true
        // The rest of the reservation goes back; the file's pages stay mapped.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let kept = max(page, (written + page - 1) / page * page)
        if kept < mappedLength {
            munmap(UnsafeMutableRawPointer(mutating: base + kept), mappedLength - kept)
            mappedLength = kept
        }
        condition.broadcast()
        condition.unlock()
    }

    /// False once nobody reads the input any more; holds a paused test until it resumes.
    private func proceed(after written: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while let pause = pauseAfter, written >= pause, !cancelled { condition.wait() }
        return !cancelled
    }

    private func publish(_ count: Int) {
        condition.lock()
        inflated = count
        condition.broadcast()
        condition.unlock()
    }
}
