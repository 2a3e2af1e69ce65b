import CaptureIngest
import Foundation
import LiveIngest
import NIOCore
import TestSupport
import TraceModel
import WireDecoding

#if canImport(Glibc)
import Glibc
#endif

/// A listener running in this process on a free loopback port, with the model it feeds.
final class LiveHarness: @unchecked Sendable {
    let queue = IngestQueue()
    var session = TraceSession()
    let ingest: LiveIngest
    var ports: [Int] = []

    init(options: LiveIngest.Options = .init()) throws {
        ingest = try LiveIngest(queue: queue, options: options)
    }

    /// Starts a listener on 127.0.0.1 with a free port; returns the port.
    func listen(_ make: (Int) -> SourceSpec, name: String) async throws -> (source: Int, port: Int) {
        let source = session.addSource(name: name, kind: .listener)
        let address = try ingest.start(make(0), source: source)
        let port = address?.port ?? 0
        ports.append(port)
        return (source, port)
    }

    /// Folds events in until `done` holds or `seconds` pass.
    @discardableResult
    func pump(seconds: Double = 10, until done: (TraceSession) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            queue.wait(timeoutMilliseconds: 20)
            session.apply(queue.drain())
            if done(session) { return true }
        }
        return false
    }

    func stop() async {
        ingest.stop()
        session.apply(queue.drain())
    }
}

enum Net {
    static func sendUDP(_ packets: [[UInt8]], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = loopback(port)
        for p in packets {
            _ = p.withUnsafeBytes { b in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }

    /// A connected TCP socket to 127.0.0.1:port.
    static func connectTCP(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = loopback(port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(rc == 0, "connect failed: \(errno)")
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        bytes.withUnsafeBytes { b in
            while off < b.count {
                let n = send(fd, b.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                off += n
            }
        }
    }

    static func loopback(_ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return addr
    }

    /// A UDP socket bound to a free loopback port (a stand-in upstream collector).
    static func boundUDP() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = loopback(0)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var size: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        return (fd, boundPort(fd))
    }

    static func boundPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Reads datagrams until `count` arrived or reads time out three times in a row.
    static func receiveUDP(_ fd: Int32, count: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var idle = 0
        while out.count < count, idle < 15 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out.append(Array(buffer[0..<n])); idle = 0 } else { idle += 1 }
        }
        return out
    }
}

enum Replay {
    static let tool = Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/tools/hep-replay.py")
    static var available: Bool { FileManager.default.fileExists(atPath: tool.path) }

    /// Runs ../shared/tools/hep-replay.py against a target URL; returns its last line.
    @discardableResult
    static func run(_ input: URL, _ target: String, extra: [String] = []) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", tool.path, input.path, target] + extra
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The (correlation id, Call-ID, label, src, dst, transport) multiset the truth files list.
enum TruthRows {
    static let protocolNames = [17: "UDP", 6: "TCP", 22: "TLS", 132: "SCTP", 50: "WS"]

    static func truth(_ name: String) throws -> [String: Int] {
        var rows: [String: Int] = [:]
        for m in try Fixtures.truth(name)["messages"] as! [[String: Any]] {
            let transport = protocolNames[m["hep_ip_proto"] as? Int ?? 17] ?? "?"
            let label = (m["method"] as? String) ?? String(m["status"] as! Int)
            let key = "\(m["correlation_id"] as? String ?? "-") \(m["call_id"] as! String) \(label) \(m["src"] as! String) \(m["dst"] as! String) \(transport)"
            rows[key, default: 0] += 1
        }
        return rows
    }

    static func model(_ store: TraceStore) -> [String: Int] {
        var rows: [String: Int] = [:]
        for c in store.calls.indices {
            let call = store.calls[c]
            for m in store.messages(of: Int32(c)) {
                let r = store.messages[Int(m)]
                let label = store.methodName(m) ?? String(r.status)
                let key = "\(store.correlationID(ofMessage: m) ?? "-") \(store.strings.string(call.callID)) \(label) "
                    + "\(store.endpoints[r.source]) \(store.endpoints[r.destination]) \(r.transport.name)"
                rows[key, default: 0] += 1
            }
        }
        return rows
    }
}
