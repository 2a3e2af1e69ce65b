import Foundation

/// What a SOURCE argument names: a capture file (or "-"), or a listener URL.
public enum SourceSpec: Equatable, Sendable {
    case file(String)
    case udp(host: String, port: Int)
    case tcp(host: String, port: Int)
    case tls(host: String, port: Int, certificate: String, key: String)

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// `udp://HOST:PORT`, `tcp://HOST:PORT`, `tls://HOST:PORT?cert=FILE&key=FILE`, `[v6]:port`
    /// hosts; anything without a scheme is a file path.
    public static func parse(_ text: String) throws(ParseError) -> SourceSpec {
        guard let schemeEnd = text.range(of: "://") else { return .file(text) }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = String(text[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
            rest = String(rest[..<q])
        }
        let (host, port) = try hostAndPort(rest, in: text)
        switch scheme {
        case "udp": return .udp(host: host, port: port)
        case "tcp": return .tcp(host: host, port: port)
        case "tls":
            guard let cert = query["cert"], let key = query["key"], !cert.isEmpty, !key.isEmpty else {
                throw ParseError(description: "\(text): a TLS listener needs ?cert=FILE&key=FILE")
            }
            return .tls(host: host, port: port, certificate: cert, key: key)
        default:
            throw ParseError(description: "\(text): unknown scheme '\(scheme)' (use udp://, tcp:// or tls://)")
        }
    }

    static func hostAndPort(_ s: String, in text: String) throws(ParseError) -> (String, Int) {
        var host: Substring
        var portText: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { throw ParseError(description: "\(text): unclosed [ in IPv6 address") }
            host = s[s.index(after: s.startIndex)..<close]
            let after = s[s.index(after: close)...]
            guard after.hasPrefix(":") else { throw ParseError(description: "\(text): expected :PORT after the address") }
            portText = after.dropFirst()
        } else {
            guard let colon = s.lastIndex(of: ":") else { throw ParseError(description: "\(text): expected HOST:PORT") }
            host = s[..<colon]
            portText = s[s.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ParseError(description: "\(text): '\(portText)' is not a port number")
        }
        guard !host.isEmpty else { throw ParseError(description: "\(text): missing host (use 127.0.0.1, or 0.0.0.0 to listen on every address)") }
        return (String(host), port)
    }

    public var isListener: Bool { if case .file = self { return false } else { return true } }

    /// The listeners used when no source is given: loopback only.
    public static let defaults: [SourceSpec] = [.udp(host: "127.0.0.1", port: 9060), .tcp(host: "127.0.0.1", port: 9060)]

    /// The same listener on `port` (the one a request for port 0 was given).
    public func withPort(_ port: Int) -> SourceSpec {
        switch self {
        case .file: self
        case .udp(let h, _): .udp(host: h, port: port)
        case .tcp(let h, _): .tcp(host: h, port: port)
        case .tls(let h, _, let cert, let key): .tls(host: h, port: port, certificate: cert, key: key)
        }
    }

    public var displayName: String {
        switch self {
        case .file(let p): p
        case .udp(let h, let p): "udp://\(h.contains(":") ? "[\(h)]" : h):\(p)"
        case .tcp(let h, let p): "tcp://\(h.contains(":") ? "[\(h)]" : h):\(p)"
        case .tls(let h, let p, _, _): "tls://\(h.contains(":") ? "[\(h)]" : h):\(p)"
        }
    }
}
