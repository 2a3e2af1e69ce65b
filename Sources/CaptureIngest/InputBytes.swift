#if canImport(Glibc)
import Glibc
#endif
import TraceModel
import WireDecoding

public struct InputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The bytes of one input file or stream, held for as long as messages may point into them:
/// regular files are memory-mapped (payloads stay on disk until read); pipes, stdin and
/// gzip-compressed files are first written to an unlinked temporary file (inflated) and mapped
/// from there, so they too cost memory for their index only (see `SpoolFile`).
public final class InputBytes: PayloadSource, @unchecked Sendable {
    public let name: String
    public let wasCompressed: Bool
    private let base: UnsafeRawPointer?
    private let fixedCount: Int
    private let mappedLength: Int
    /// The bytes were copied into memory of ours (not mapped): freed at the end.
    private let ownsMemory: Bool
    /// Set while a gzip file may still be inflating into these bytes (see `open(_:whileInflating:)`).
    private let growth: GrowingGunzip?
    /// Why inflating a gzip input whole stopped before its end (cut or corrupt part way), when
    /// what came before it is kept.
    private(set) var endedEarly: String?

    /// Bytes there now (for an input still inflating, what has been inflated so far).
    public var count: Int { growth?.available ?? fixedCount }
    /// What the whole input likely comes to: `count`, or a guess while it still inflates.
    public var expectedCount: Int { growth.map { max($0.available, $0.estimatedTotal) } ?? fixedCount }

    /// Largest input a gzip file may inflate to.
    public static let maximumInflatedSize = 64 << 30

    /// Opens `path` ("-": standard input). With `whileInflating`, a gzip file is not inflated
    /// before this returns but on a thread of its own while the caller reads what is there
    /// (`waitForMore`), when a temporary file for it can be made.
    public static func open(_ path: String, whileInflating: Bool = false) throws(InputError) -> InputBytes {
        if path == "-" { return try fromDescriptor(0, name: "stdin") }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw InputError("\(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw InputError("\(path): is a directory") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return try fromDescriptor(fd, name: path) }
        let size = Int(st.st_size)
        if size == 0 { return InputBytes(name: path, owned: [], compressed: false) }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw InputError("\(path): cannot map file: \(String(cString: strerror(errno)))")
        }
        madvise(map, size, MADV_SEQUENTIAL)
        let mapped = InputBytes(name: path, base: UnsafeRawPointer(map), count: size, mappedLength: size)
        if mapped.isGzip {
            if whileInflating, let growth = GrowingGunzip.start(mapped, name: path) {
                return InputBytes(name: path, growth: growth)
            }
            return try mapped.inflated()
        }
        return mapped
    }

    /// Where reading the input stands: the bytes there now, whether that is all, and why the
    /// input ended early if it did (a gzip file cut or corrupt part way, a full disk).
    public struct Available {
        public var bytes: UnsafeRawBufferPointer
        public var complete: Bool
        public var failure: String?
        /// What the whole input will likely come to, for progress.
        public var estimatedTotal: Int
    }

    /// The bytes there once more than `count` are, or once no more will come. An input opened
    /// whole answers at once with all of it. The view stays valid for as long as the input lives.
    public func waitForMore(than count: Int) -> Available {
        guard let growth else {
            return withBytes { Available(bytes: $0, complete: true, failure: endedEarly, estimatedTotal: $0.count) }
        }
        let state = growth.wait(forMoreThan: count)
        return Available(bytes: UnsafeRawBufferPointer(start: growth.base, count: state.available),
                         complete: state.complete, failure: state.failure,
                         estimatedTotal: state.complete ? state.available : max(state.available, growth.estimatedTotal))
    }

    /// Reads a pipe, FIFO or stdin to its end (into a spool file), inflating it if it is gzip.
    static func fromDescriptor(_ fd: Int32, name: String) throws(InputError) -> InputBytes {
        var spool = SpoolFile()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError("\(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            chunk.withUnsafeBytes { spool.append($0.slice(0..<n)) }
        }
        let raw = try spool.finish(name: name, compressed: false)
        guard raw.isGzip else { return raw }
        return try raw.inflated()
    }

    /// Wraps bytes already in memory (tests); gzip data is inflated (into a spool file).
    public static func wrapping(_ bytes: [UInt8], name: String) throws(InputError) -> InputBytes {
        guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else {
            return InputBytes(name: name, owned: bytes, compressed: false)
        }
        return try InputBytes(name: name, owned: bytes, compressed: false).inflated()
    }

    private init(name: String, base: UnsafeRawPointer?, count: Int, mappedLength: Int) {
        self.name = name
        self.base = base
        self.fixedCount = count
        self.mappedLength = mappedLength
        self.ownsMemory = false
        self.wasCompressed = false
        self.growth = nil
    }

    init(name: String, growth: GrowingGunzip) {
        self.name = name
        self.base = growth.base
        self.fixedCount = 0
        self.mappedLength = 0  // the growth owns its mapping
        self.ownsMemory = false
        self.wasCompressed = true
        self.growth = growth
    }

    /// A whole mapping of a spool file, unmapped at the end.
    init(name: String, mapping: UnsafeRawPointer, count: Int, compressed: Bool) {
        self.name = name
        self.base = mapping
        self.fixedCount = count
        self.mappedLength = count
        self.ownsMemory = false
        self.wasCompressed = compressed
        self.growth = nil
    }

    /// Memory from `UnsafeMutableRawPointer.allocate` (or nil for no bytes), freed at the end.
    init(name: String, adopting memory: UnsafeMutableRawPointer?, count: Int, compressed: Bool) {
        self.name = name
        let memory = memory ?? UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
        self.base = UnsafeRawPointer(memory)
        self.ownsMemory = true
        self.fixedCount = count
        self.mappedLength = 0
        self.wasCompressed = compressed
        self.growth = nil
    }

    /// A copy of `owned` in memory that stays put for as long as the input lives.
    init(name: String, owned: [UInt8], compressed: Bool) {
        self.name = name
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(owned.count, 1), alignment: 16)
        owned.withUnsafeBytes { memory.copyMemory(from: $0) }
        self.base = UnsafeRawPointer(memory.baseAddress)
        self.ownsMemory = true
        self.fixedCount = owned.count
        self.mappedLength = 0
        self.wasCompressed = compressed
        self.growth = nil
    }

    deinit {
        if mappedLength > 0, let b = base { munmap(UnsafeMutableRawPointer(mutating: b), mappedLength) }
        if ownsMemory, let b = base { UnsafeMutableRawPointer(mutating: b).deallocate() }
        growth?.cancel()  // nobody reads it any more: no need to inflate the rest
    }

    /// True when the bytes are mapped from a file (a capture, or a spool file), not held in
    /// memory: release and mapIn apply.
    public var isFileBacked: Bool { mappedLength > 0 || growth != nil }

    /// Tells the kernel the mapped pages before `offset` are not needed now: they stop counting
    /// as our resident memory and come back from the file if a payload there is read again.
    public func release(upTo offset: Int) {
        guard isFileBacked, let b = base else { return }
        let page = InputBytes.pageSize
        let end = min(offset, count) / page * page
        guard end > 0 else { return }
        madvise(UnsafeMutableRawPointer(mutating: b), end, MADV_DONTNEED)
    }

    public func releaseReadPages() { release(upTo: count) }

    /// Maps in the pages from `position` on, `mapInStep` bytes at a time, for a reader going
    /// through the file in order: one call for them all (MADV_POPULATE_READ) instead of a page
    /// fault every 64 KiB, a tenth of the system time of a load. `mapped` is how far it has gone.
    public func mapIn(from position: Int, mapped: inout Int) {
        guard position >= mapped else { return }
        mapped = position + InputBytes.mapInStep
        guard isFileBacked, let b = base, position < count else { return }
        let from = position / InputBytes.pageSize * InputBytes.pageSize
        // Older kernels refuse the advice (EINVAL): the pages then come in by faults as before.
        madvise(UnsafeMutableRawPointer(mutating: b + from), min(mapped, count) - from, MADV_POPULATE_READ)
    }

    static let mapInStep = 4 << 20
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    fileprivate var isGzip: Bool { withBytes { $0.count >= 2 && $0[0] == 0x1f && $0[1] == 0x8b } }

    /// These gzip bytes inflated, as a new input.
    private func inflated() throws(InputError) -> InputBytes {
        let result: Result<InputBytes, InputError> = withBytes { b in
            Result { () throws(InputError) -> InputBytes in try InputBytes.gunzip(b, name: name) }
        }
        return try result.get()
    }

    /// Inflates gzip data into a spool file and maps it.
    private static func gunzip(_ b: UnsafeRawBufferPointer, name: String) throws(InputError) -> InputBytes {
        let stream = InflateStream(format: .gzip)
        var spool = SpoolFile()
        // A cut or damaged gzip input still yields what inflated, and says why it stopped there
        // (as a file inflated while it loads does).
        var endedEarly: String?
        do {
            let done = try stream.feed(b, limit: maximumInflatedSize) { piece, _ in spool.append(piece); return true }
            if !done, spool.count == 0 { throw InputError("\(name): gzip data truncated before any content") }
            if !done { endedEarly = "\(name): gzip data truncated" }
        } catch let e as InflateError {
            switch e {
            case .tooLarge: throw InputError("\(name): gzip content larger than \(maximumInflatedSize >> 30) GiB")
            case .corrupt(let why):
                if spool.count == 0 { throw InputError("\(name): corrupt gzip data (\(why))") }
                endedEarly = "\(name): corrupt gzip data (\(why))"
            default: break
            }
        } catch let e as InputError {
            throw e
        } catch {
            throw InputError("\(name): \(error)")
        }
        let inflated = try spool.finish(name: name, compressed: true)
        inflated.endedEarly = endedEarly
        return inflated
    }
}
