#if canImport(Glibc)
import Glibc
#endif
import TraceModel

/// Where the payloads of a live session (listeners, pipes, replays) go instead of the model's
/// memory: an unlinked temporary file, written batch by batch and mapped in advance, so that a
/// session of hours costs memory for its index only, as a capture file does. Used by the
/// thread that owns the model, which alone writes and reads it. Stops taking bytes (they stay
/// in memory, as before) when the disk is nearly full or a write fails.
final class PayloadSpool: PayloadSource, @unchecked Sendable {
    private let fd: Int32
    private let base: UnsafeRawPointer
    private let reserved: Int
    private let room: (Int32) -> Int?
    private(set) var count = 0
    private(set) var isOpen = true
    /// How far pages read back (a repeat compared, a message shown) were last given back.
    private var releasedAt = 0

    /// nil when no temporary file can be made or mapped.
    init?(directories: [String] = SpoolFile.defaultDirectories, reserve: Int = InputBytes.maximumInflatedSize,
          room: @escaping (Int32) -> Int? = { SpoolFile.room($0) }) {
        // Only what has been written is ever read: no page past the end of the file is touched.
        guard let (fd, map) = SpoolFile.makeGrowingMapping(in: directories, reserve: reserve) else { return nil }
        self.fd = fd
        self.base = map
        self.reserved = reserve
        self.room = room
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), reserved)
        close(fd)
    }

    /// Writes `bytes` at the end; their offset, or nil once the spool takes no more.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard isOpen, bytes.count > 0 else { return isOpen ? count : nil }
        if count + bytes.count > reserved {
            isOpen = false
            return nil
        }
        if SpoolFile.lacksRoom(fd, written: count, adding: bytes.count, room: room) {
            isOpen = false
            return nil
        }
        // Pages read back through the mapping since the last step leave resident memory.
        if SpoolFile.isRoomCheckDue(written: count, adding: bytes.count), count > releasedAt {
            releaseReadPages()
            releasedAt = count
        }
        guard SpoolFile.writeAll(fd, bytes) else {
            isOpen = false
            // What went out of a partly written batch is never referred to: nothing is lost.
            _ = ftruncate(fd, off_t(count))
            return nil
        }
        let offset = count
        count += bytes.count
        return offset
    }

    /// Gives back the pages read through the mapping (a rebuild reads every payload kept).
    func releaseReadPages() {
        if count > 0 { madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_DONTNEED) }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}
