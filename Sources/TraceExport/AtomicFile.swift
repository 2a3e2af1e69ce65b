#if canImport(Glibc)
import Glibc
#endif

public struct ExportError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Writes a file so that it appears whole or not at all: the bytes go to a temporary name in the
/// same folder, are synced, and only then renamed over the final name. On any failure (no room
/// left, no permission) the temporary file is removed and nothing is left under the final name.
///
/// What already sits at the name is respected: a symbolic link stays and its target is written;
/// a pipe, socket or character device (`/dev/stdout`, a FIFO another program reads) gets the
/// bytes straight, as a shell redirection would; a block device is refused.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(ExportError) {
        var target = path
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw ExportError("\(path): cannot write: a symbolic link whose target cannot be reached (\(String(cString: strerror(errno))))")
            }
            target = String(cString: resolved)
            free(resolved)
        }
        if stat(target, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFCHR, S_IFIFO, S_IFSOCK: return try writeStraight(bytes, to: target, named: path)
            case S_IFBLK: throw ExportError("\(path): cannot write: a block device; nothing was saved")
            default: break
            }
        }
        try replace(target, with: bytes, named: path)
    }

    private static func replace(_ path: String, with bytes: [UInt8], named name: String) throws(ExportError) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temp = "\(dir.isEmpty ? "/" : dir)/.\(base).\(getpid()).partial"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ExportError("\(name): cannot write: \(String(cString: strerror(errno)))") }
        var failure = writeAll(bytes, to: fd)
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(temp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temp)
            throw ExportError("\(name): cannot write: \(failure); nothing was saved")
        }
    }

    /// A reader on the other end sees the bytes as they go; there is nothing to rename. A reader
    /// that goes away is an error to report, not a SIGPIPE that ends the program (a viewer
    /// saving into a pipe would lose everything it holds): the signal is held back on this
    /// thread while writing, and taken off if it came.
    private static func writeStraight(_ bytes: [UInt8], to path: String, named name: String) throws(ExportError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExportError("\(name): cannot write: \(String(cString: strerror(errno)))") }
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var failure = writeAll(bytes, to: fd)
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        var pending = sigset_t()
        if sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 {
            var now = timespec()
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        if let failure { throw ExportError("\(name): cannot write: \(failure)") }
    }

    /// nil when every byte went out, else why not.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return String(cString: strerror(errno)) }
                off += n
            }
            return nil
        }
    }
}
