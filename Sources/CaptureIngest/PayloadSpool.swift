#if canImport(Glibc)
import CFileSpace
import Glibc
#endif
import TraceModel

/// Where the payloads of a live session (listeners, pipes, replays) go instead of the model's
/// memory: an unlinked temporary file, written batch by batch and mapped in advance, so that a
/// session of hours costs memory for its index only, as a capture file does. Used by the
/// thread that owns the model, which alone writes and reads it. Stops taking bytes (they stay
/// in memory, as before) when the disk is nearly full or a write fails; once the room reserved
/// for it is full, the session starts another. After an eviction, the disk space of payloads
/// no message refers to any more goes back (the file keeps its size, with holes).
final class PayloadSpool: PayloadSource, @unchecked Sendable {
    private let fd: Int32
    private let base: UnsafeRawPointer
    private let reserved: Int
    private let room: (Int32) -> Int?
    private(set) var count = 0
    private(set) var isOpen = true
    /// Closed because its address space is used up: a new spool takes over.
    private(set) var isFull = false
    /// Closed because the disk was nearly full: open again when space has been given back.
    private var isWaitingForRoom = false
    /// The next append looks at the room left whatever the step (after reopening).
    private var checkRoomNext = false
    /// Bytes whose disk blocks have been given back.
    private(set) var givenBack = 0
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
            // Full; but bytes that would not fit even an empty spool only stay in memory.
            if count > 0 {
                isOpen = false
                isFull = true
            }
            return nil
        }
        let lacksRoom = checkRoomNext ? (room(fd).map { $0 < SpoolFile.roomCheckStep } ?? false)
                                      : SpoolFile.lacksRoom(fd, written: count, adding: bytes.count, room: room)
        checkRoomNext = false
        if lacksRoom {
            isOpen = false
            isWaitingForRoom = true
            return nil
        }
        // Pages read back through the mapping since the last step leave resident memory.
        if SpoolFile.isRoomCheckDue(written: count, adding: bytes.count), count > releasedAt {
            releaseReadPages()
            releasedAt = count
        }
        // At `count`, wherever a failed write left the file's offset.
        guard SpoolFile.writeAll(fd, bytes, at: count) else {
            let full = errno == ENOSPC || errno == EDQUOT
            isOpen = false
            // A full disk may have room again later; other errors close the spool for good.
            isWaitingForRoom = full
            // What went out of a partly written batch is never referred to: nothing is lost.
            _ = ftruncate(fd, off_t(count))
            return nil
        }
        let offset = count
        count += bytes.count
        return offset
    }

    var givesBackUnusedBytes: Bool { true }

    /// Punches holes where `unused` covers whole pages: their disk blocks (and any pages of
    /// them in memory) go; reading them would give zeros, but no message refers to them. A
    /// spool closed for lack of room takes bytes again once some came back.
    func giveBack(_ unused: [Range<Int>]) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var freed = 0
        for r in unused {
            let lower = (r.lowerBound + page - 1) / page * page
            let upper = min(r.upperBound, count) / page * page
            guard upper > lower else { continue }
            // A file system without holes (EOPNOTSUPP) keeps the bytes: nothing else changes.
            guard hepscope_punch_hole(fd, lower, upper - lower) == 0 else { break }
            freed += upper - lower
        }
        givenBack += freed
        if freed > 0, isWaitingForRoom {
            isWaitingForRoom = false
            isOpen = true
            checkRoomNext = true
        }
    }

    /// A spool waiting for room looks at the disk again (space freed by an eviction, here or
    /// in another spool, or by anyone else) and takes bytes again if there is room.
    func retryRoom() {
        guard isWaitingForRoom, let left = room(fd), left >= SpoolFile.roomCheckStep else { return }
        isWaitingForRoom = false
        isOpen = true
    }

    /// True while the disk was too full for it (see `retryRoom`).
    var waitsForRoom: Bool { isWaitingForRoom }

    /// The disk space the file takes now (its blocks, holes left out).
    var diskBytes: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_blocks) * 512 : 0
    }

    /// Gives back the pages read through the mapping (a rebuild reads every payload kept).
    func releaseReadPages() {
        if count > 0 { madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_DONTNEED) }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The bytes written so far (up to `limit`), for a rebuild on another thread while this
    /// one goes on writing past them: the mapping is made once and never moves.
    func readableAside(upTo limit: Int) -> any PayloadSource {
        WrittenSpoolBytes(spool: self, base: base, count: min(count, max(0, limit)))
    }
}

/// A spool's bytes up to a point, read by another thread: nothing of the spool's own state is
/// touched there, only the pages below that point, which are never written again.
private final class WrittenSpoolBytes: PayloadSource, @unchecked Sendable {
    /// Kept alive (and mapped) while the rebuild reads.
    private let spool: PayloadSpool
    private let base: UnsafeRawPointer
    private let count: Int

    init(spool: PayloadSpool, base: UnsafeRawPointer, count: Int) {
        self.spool = spool
        self.base = base
        self.count = count
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    func releaseReadPages() {
        if count > 0 { madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_DONTNEED) }
    }
}
