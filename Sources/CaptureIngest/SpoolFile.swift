#if canImport(Glibc)
import Glibc
#endif

/// Input that cannot be mapped as it is (a gzip file once inflated, a pipe) written to an
/// unlinked temporary file and mapped from there when complete, so that its payloads stay on
/// disk like those of any capture file: memory then follows the index, not the input. Where no
/// temporary file can be made or written (no directory, a full disk), the bytes are kept in
/// memory instead, as they would have been without it.
struct SpoolFile: ~Copyable {
    private var fd: Int32 = -1
    /// The bytes, once they had to stay in memory: handed over to the input as they are.
    private var memory: UnsafeMutableRawPointer?
    private var memoryCapacity = 0
    private(set) var count = 0
    private let room: (Int32) -> Int?
    /// Set when bytes written to the file could not be read back.
    private var lost: String?

    /// Where the temporary file goes, first that works: $TMPDIR, then /var/tmp (a disk on most
    /// systems, where /tmp is often a memory file system), then /tmp.
    static var defaultDirectories: [String] {
        var dirs: [String] = []
        if let t = getenv("TMPDIR"), t.pointee != 0 { dirs.append(String(cString: t)) }
        return dirs + ["/var/tmp", "/tmp"]
    }

    /// `room` says how much may still be written to a file's disk (tests pass their own).
    init(directories: [String] = SpoolFile.defaultDirectories, room: @escaping (Int32) -> Int? = { SpoolFile.room($0) }) {
        fd = SpoolFile.makeTemporaryFile(in: directories) ?? -1
        self.room = room
    }

    /// How often the room left on the disk is looked at while writing.
    static let roomCheckStep = 64 << 20

    /// Bytes that may still go to `fd`'s file system while leaving 1 GiB free (a tenth of a
    /// smaller file system): a gzip file that inflates without end, by mistake or by malice,
    /// must not fill the disk. nil when the system does not say.
    static func room(_ fd: Int32) -> Int? {
        var st = statvfs()
        guard fstatvfs(fd, &st) == 0 else { return nil }
        // Some file systems (network, FUSE) report sizes that overflow: then taken as plenty.
        let unit = Int(clamping: st.f_frsize)
        let (free, o1) = Int(clamping: st.f_bavail).multipliedReportingOverflow(by: unit)
        let (total, o2) = Int(clamping: st.f_blocks).multipliedReportingOverflow(by: unit)
        if o1 || o2 { return Int.max / 2 }
        return free - min(1 << 30, total / 10)
    }

    /// Whether writing `adding` bytes after `written` is when to look at the disk again: on the
    /// first write, and each time the file crosses a `roomCheckStep`.
    static func isRoomCheckDue(written: Int, adding: Int) -> Bool {
        written == 0 || written / roomCheckStep != (written + adding) / roomCheckStep
    }

    /// True when `adding` more bytes after `written` should not go to `fd`'s disk: it is time to
    /// look (`isRoomCheckDue`) and `room` says less than a step is left.
    static func lacksRoom(_ fd: Int32, written: Int, adding: Int, room: (Int32) -> Int?) -> Bool {
        guard isRoomCheckDue(written: written, adding: adding), let left = room(fd) else { return false }
        return left < roomCheckStep
    }

    /// A new temporary file (see `makeTemporaryFile`) mapped, read-only and shared, over
    /// `reserve` bytes of address space ahead of what it holds, so that bytes written to it
    /// later show through the same mapping. Only what has been written may be read: a page past
    /// the end of the file faults.
    static func makeGrowingMapping(in directories: [String], reserve: Int) -> (fd: Int32, base: UnsafeRawPointer)? {
        guard let fd = makeTemporaryFile(in: directories) else { return nil }
        guard let map = mmap(nil, reserve, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            close(fd)
            return nil
        }
        return (fd, UnsafeRawPointer(map))
    }

    /// A new temporary file in the first of `directories` where one can be made, already
    /// unlinked: its space comes back when the last descriptor and mapping of it go, even if
    /// the program is killed.
    static func makeTemporaryFile(in directories: [String]) -> Int32? {
        for dir in directories {
            var template = Array("\(dir)/hepscope-spool-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            return fd
        }
        return nil
    }

    deinit {
        if fd >= 0 { close(fd) }
        memory?.deallocate()
    }

    /// True while the bytes go to a file (false once they had to stay in memory).
    var isFileBacked: Bool { fd >= 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if fd >= 0, SpoolFile.lacksRoom(fd, written: count, adding: bytes.count, room: room) {
            moveToMemory()  // the disk is nearly full: on in memory, as without a spool file
        }
        if fd >= 0, SpoolFile.writeAll(fd, bytes, at: count) {
            count += bytes.count
            return
        }
        if fd >= 0 { moveToMemory() }
        appendInMemory(bytes)
    }

    private mutating func appendInMemory(_ bytes: UnsafeRawBufferPointer) {
        if count + bytes.count > memoryCapacity {
            let capacity = max(count + bytes.count, memoryCapacity * 2, 1 << 16)
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            if let memory { grown.copyMemory(from: memory, byteCount: count) }
            memory?.deallocate()
            memory = grown
            memoryCapacity = capacity
        }
        (memory! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    /// The bytes as an input: mapped from the file, or the memory they had to stay in.
    consuming func finish(name: String, compressed: Bool) throws(InputError) -> InputBytes {
        if fd >= 0, count > 0 {
            if let map = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED {
                madvise(map, count, MADV_SEQUENTIAL)
                return InputBytes(name: name, mapping: UnsafeRawPointer(map), count: count, compressed: compressed)
            }
            moveToMemory()
        }
        if let lost { throw InputError("\(name): \(lost)") }
        let input = InputBytes(name: name, adopting: memory, count: count, compressed: compressed)
        memory = nil  // the input frees it
        return input
    }

    /// Writes all of `bytes` to `fd` at `offset`; false when the file cannot take them (errno
    /// says why).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Reads back what the file holds and carries on in memory (the disk is full or failing;
    /// tests call it to go that way). Bytes that cannot be read back fail the input at the end.
    mutating func moveToMemory() {
        let held = count
        count = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var done = 0
        while done < held {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, min($0.count, held - done), off_t(done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                lost = "cannot read back the temporary file (\(n < 0 ? String(cString: strerror(errno)) : "it is shorter than written"))"
                break
            }
            chunk.withUnsafeBytes { appendInMemory($0.slice(0..<n)) }
            done += n
        }
        close(fd)
        fd = -1
    }
}
