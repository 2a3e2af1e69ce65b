import Foundation
import NIOCore
import NIOSSL

/// Why a listener could not start, in the user's words: the system's reason ("Address already
/// in use"), or which TLS file is wrong and how, rather than the networking library's internal
/// names.
public struct ListenError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(description: String) { self.description = description }

    init(_ description: String) { self.description = description }

    /// A bind that failed: the system's reason when there is one (the caller names the address).
    static func binding(host: String, _ error: Error) -> ListenError {
        if let io = error as? IOError { return ListenError(String(cString: strerror(io.errnoCode))) }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return ListenError("\(host) does not resolve to an address")
        }
        return ListenError("\(error)")
    }

    /// The TLS certificate and key: each file must be readable and hold PEM of its kind.
    static func checkReadable(_ path: String, as role: String) throws(ListenError) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ListenError("\(role) \(path): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ListenError("\(role) \(path): not a regular file") }
        guard access(path, R_OK) == 0 else { throw ListenError("\(role) \(path): \(String(cString: strerror(errno)))") }
    }
}
