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
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(ExportError) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temp = "\(dir.isEmpty ? "/" : dir)/.\(base).\(getpid()).partial"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ExportError("\(path): cannot write: \(String(cString: strerror(errno)))") }
        var failure: String?
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    failure = String(cString: strerror(errno))
                    return
                }
                off += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(temp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temp)
            throw ExportError("\(path): cannot write: \(failure); nothing was saved")
        }
    }
}
