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
/// What already sits at the name is respected: a symbolic link stays and its target is written
/// (created, if the link leads to a name not taken yet); a pipe or character device
/// (`/dev/stdout`, a FIFO another program reads) gets the bytes straight, as a shell redirection
/// would; a block device or a socket is refused.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(ExportError) {
        var info = stat()
        // What the name finally leads to, links followed by the kernel (this also reaches
        // `/dev/stdout` on a pipe, which has no path of its own to resolve).
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFCHR, S_IFIFO: return try writeStraight(bytes, to: path)
            case S_IFBLK: throw ExportError("\(path): cannot write: a block device; nothing was saved")
            case S_IFSOCK: throw ExportError("\(path): cannot write: a socket; nothing was saved")
            default: break
            }
        }
        // A link to a regular file (or to a name not taken yet) stays: its target is replaced.
        let target = linkTarget(path) ?? path
        try replace(target, with: bytes, named: path)
    }

    /// Where a chain of symbolic links at `path` ends, as a path; nil when `path` is no link.
    static func linkTarget(_ path: String) -> String? {
        var current = path
        var info = stat()
        for _ in 0..<40 {  // as the kernel's own limit on links followed
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { break }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { break }
            let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : folder(of: current) + "/" + link
        }
        return current == path ? nil : current
    }

    /// The folder part of `path`: "." for a bare name, "" for a name in "/".
    private static func folder(of path: String) -> String {
        path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    }

    private static func replace(_ path: String, with bytes: [UInt8], named name: String) throws(ExportError) {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temp = "\(folder(of: path))/.\(base).\(getpid()).partial"
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

    /// A reader on the other end sees the bytes as they go; there is nothing to rename. A FIFO
    /// nobody reads is an error at once rather than a wait without end (the viewer would
    /// freeze). A reader that goes away is an error to report, not a SIGPIPE that ends the
    /// program (a viewer saving into a pipe would lose everything it holds): the signal is held
    /// back on this thread while writing, and taken off if it came.
    private static func writeStraight(_ bytes: [UInt8], to name: String) throws(ExportError) {
        let fd = open(name, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let why = errno == ENXIO ? "no program is reading it" : String(cString: strerror(errno))
            throw ExportError("\(name): cannot write: \(why)")
        }
        // Opened: from here on, writes wait for the reader as a redirection's would.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
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
