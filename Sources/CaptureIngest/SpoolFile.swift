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
    private var memory: [UInt8] = []
    private(set) var count = 0
    private let keepFree: Int?

    /// Where the temporary file goes, first that works: $TMPDIR, then /var/tmp (a disk on most
    /// systems, where /tmp is often a memory file system), then /tmp.
    static var defaultDirectories: [String] {
        var dirs: [String] = []
        if let t = getenv("TMPDIR"), t.pointee != 0 { dirs.append(String(cString: t)) }
        return dirs + ["/var/tmp", "/tmp"]
    }

    /// `keepFree`: bytes to leave free on the file system (nil: `room(_:keepFree:)`'s default).
    init(directories: [String] = SpoolFile.defaultDirectories, keepFree: Int? = nil) {
        fd = SpoolFile.makeTemporaryFile(in: directories) ?? -1
        self.keepFree = keepFree
    }

    /// How often the room left on the disk is looked at while writing.
    static let roomCheckStep = 64 << 20

    /// Bytes that may still go to `fd`'s file system while leaving `keepFree` free (by default
    /// 1 GiB, or a tenth of a smaller file system): a gzip file that inflates without end, by
    /// mistake or by malice, must not fill the disk. nil when the system does not say.
    static func room(_ fd: Int32, keepFree: Int? = nil) -> Int? {
        var st = statvfs()
        guard fstatvfs(fd, &st) == 0 else { return nil }
        let unit = Int(st.f_frsize)
        return Int(st.f_bavail) * unit - (keepFree ?? min(1 << 30, Int(st.f_blocks) * unit / 10))
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
    }

    /// True while the bytes go to a file (false once they had to stay in memory).
    var isFileBacked: Bool { fd >= 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if fd >= 0, count == 0 || count / Self.roomCheckStep != (count + bytes.count) / Self.roomCheckStep,
           let room = SpoolFile.room(fd, keepFree: keepFree), room < Self.roomCheckStep {
            moveToMemory()  // the disk is nearly full: on in memory, as without a spool file
        }
        if fd >= 0, SpoolFile.writeAll(fd, bytes) {
            count += bytes.count
            return
        }
        if fd >= 0 { moveToMemory() }
        memory.append(contentsOf: bytes)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The bytes as an input: mapped from the file, or the memory they had to stay in.
    consuming func finish(name: String, compressed: Bool) throws(InputError) -> InputBytes {
        guard fd >= 0, count > 0 else {
            return InputBytes(name: name, owned: memory, compressed: compressed)
        }
        guard let map = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            moveToMemory()
            return InputBytes(name: name, owned: memory, compressed: compressed)
        }
        madvise(map, count, MADV_SEQUENTIAL)
        return InputBytes(name: name, mapping: UnsafeRawPointer(map), count: count, compressed: compressed)
    }

    /// Writes all of `bytes` to `fd`; false when the file cannot take them (errno says why).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Reads back what the file holds and carries on in memory (the disk is full or failing;
    /// tests call it to go that way).
    mutating func moveToMemory() {
        var held = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = held.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        held.removeLast(count - done)
        count = done
        memory = held
        close(fd)
        fd = -1
    }
}
