#if canImport(Glibc)
import Glibc
#endif
import WireDecoding

/// Sends recorded HEP packets to a listener at a steady rate, fast enough to load a collector
/// (a Python sender tops out near 60,000 packets/s here). With `uniqueCalls`, every loop gets
/// new Call-IDs (`-L<loop>` appended), so a long run is many calls rather than one repeated.
public struct HEPReplayer {
    public struct Result: Sendable {
        public var packets = 0
        public var bytes = 0
        public var seconds = 0.0
        /// Packets the kernel refused, by reason ("nothing listening": the port answered
        /// with ICMP unreachable; "send buffer full").
        public var notSent: [String: Int] = [:]
        public var rate: Double { seconds > 0 ? Double(packets) / seconds : 0 }
    }

    /// One packet and where its Call-ID value ends (nil: leave it as it is).
    struct Template {
        var bytes: [UInt8]
        var callIDEnd: Int?
        var payloadChunkLengthOffset: Int?
    }

    let templates: [Template]

    public var packetCount: Int { templates.count }
    /// A raw dump whose last record is cut: where it ends, said as a warning.
    public private(set) var truncation: String?

    /// Packets from a raw dump (4-byte big-endian length records) or a pcap of HEP over UDP.
    public init(path: String) throws {
        let data = try readFile(path)
        var packets: [[UInt8]] = []
        if data.count >= 4, data.withUnsafeBytes({ CaptureFileReader.looksLikeCapture($0) }) {
            try data.withUnsafeBytes { b in
                var reader = try CaptureFileReader(b)
                let decoder = NetworkCollector()
                while let f = reader.next() { packets += decoder.hepPayloads(f) }
            }
        } else {
            var at = 0
            while at + 4 <= data.count {
                let n = Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
                at += 4
                guard n > 0, at + n <= data.count else { at -= 4; break }
                packets.append(Array(data[at..<at + n]))
                at += n
            }
            if at < data.count {
                truncation = "\(path): the dump ends inside a record at byte \(at) (\(data.count - at) bytes left over); "
                    + "\(packets.count) packets read"
            }
        }
        guard !packets.isEmpty else { throw ReplayError("\(path): no HEP packets found") }
        templates = packets.map(HEPReplayer.template)
    }

    static func template(_ p: [UInt8]) -> Template {
        var t = Template(bytes: p)
        guard p.count >= 6, p[0] == 0x48, p[1] == 0x45, p[2] == 0x50, p[3] == 0x33 else { return t }
        var off = 6
        let total = min(p.count, Int(p[4]) << 8 | Int(p[5]))
        while off + 6 <= total {
            let type = Int(p[off + 2]) << 8 | Int(p[off + 3])
            let len = Int(p[off + 4]) << 8 | Int(p[off + 5])
            guard len >= 6, off + len <= total else { break }
            if type == 0x0f {
                let body = Array(p[off + 6..<off + len])
                if let end = body.withUnsafeBytes({ b -> Int? in
                    guard case .message(let idx) = SIPParser.parse(b), let r = idx.callID else { return nil }
                    return r.upperBound
                }) {
                    t.callIDEnd = off + 6 + end
                    t.payloadChunkLengthOffset = off + 4
                }
            }
            off += len
        }
        return t
    }

    /// The packet for loop `n`: the Call-ID gets "-L<n>" and both lengths grow to match; with
    /// `correlation`, chunk 0x11 is replaced by that text ("%d" becomes the loop number).
    func packet(_ i: Int, loop: Int, unique: Bool, correlation: String? = nil) -> [UInt8] {
        let base = packet(i, loop: loop, unique: unique)
        guard let correlation else { return base }
        return HEPReplayer.replacingCorrelation(base, with: correlation.replacingOccurrences("%d", String(loop)))
    }

    /// Drops any chunk 0x11 and appends one with `value`.
    static func replacingCorrelation(_ p: [UInt8], with value: String) -> [UInt8] {
        guard p.count >= 6, p[0] == 0x48 else { return p }
        let total = min(p.count, Int(p[4]) << 8 | Int(p[5]))
        var chunks: [UInt8] = []
        var off = 6
        while off + 6 <= total {
            let vendor = Int(p[off]) << 8 | Int(p[off + 1]), type = Int(p[off + 2]) << 8 | Int(p[off + 3])
            let len = Int(p[off + 4]) << 8 | Int(p[off + 5])
            guard len >= 6, off + len <= total else { return p }
            if !(vendor == 0 && type == 0x11) { chunks += p[off..<off + len] }
            off += len
        }
        let v = Array(value.utf8)
        chunks += [0, 0, 0, 0x11, UInt8((6 + v.count) >> 8), UInt8((6 + v.count) & 0xff)] + v
        let newTotal = 6 + chunks.count
        guard newTotal <= 65535 else { return p }
        return [0x48, 0x45, 0x50, 0x33, UInt8(newTotal >> 8), UInt8(newTotal & 0xff)] + chunks
    }

    func packet(_ i: Int, loop: Int, unique: Bool) -> [UInt8] {
        let t = templates[i]
        guard unique, let end = t.callIDEnd, let lenAt = t.payloadChunkLengthOffset else { return t.bytes }
        let suffix = Array("-L\(loop)".utf8)
        var out = Array(t.bytes[0..<end]) + suffix + Array(t.bytes[end...])
        let total = (Int(out[4]) << 8 | Int(out[5])) + suffix.count
        let chunk = (Int(out[lenAt]) << 8 | Int(out[lenAt + 1])) + suffix.count
        guard total <= 65535, chunk <= 65535 else { return t.bytes }
        out[4] = UInt8(total >> 8); out[5] = UInt8(total & 0xff)
        out[lenAt] = UInt8(chunk >> 8); out[lenAt + 1] = UInt8(chunk & 0xff)
        return out
    }

    /// Sends over UDP to 127.0.0.0/8 or ::1 at `rate` packets/s (0: as fast as possible) for at
    /// most `seconds`, `loops` times over the input.
    public func sendUDP(host: String, port: Int, rate: Int, seconds: Double, loops: Int, uniqueCalls: Bool,
                        correlation: String? = nil) throws -> Result {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ReplayError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1, (UInt32(bigEndian: addr.sin_addr.s_addr) >> 24) == 127 else {
            throw ReplayError("\(host): the replayer sends to loopback addresses (127.0.0.0/8) only")
        }
        var sndbuf: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, 4)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ReplayError("connect: \(String(cString: strerror(errno)))") }
        var result = Result()
        let start = ProcessMeasurement.now
        let deadline = start + seconds
        outer: for loop in 0..<max(1, loops) {
            for i in templates.indices {
                if rate > 0 {
                    // Pace by the clock: send whatever is due, then sleep a little.
                    while Double(result.packets) / Double(rate) > ProcessMeasurement.now - start { usleep(200) }
                }
                if ProcessMeasurement.now >= deadline { break outer }
                let p = packet(i, loop: loop, unique: uniqueCalls, correlation: correlation)
                let n = p.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    switch errno {
                    case ECONNREFUSED: result.notSent["nothing listening", default: 0] += 1; continue
                    case ENOBUFS, EAGAIN: result.notSent["send buffer full", default: 0] += 1; continue
                    default: throw ReplayError("send: \(String(cString: strerror(errno)))")
                    }
                }
                result.packets += 1
                result.bytes += n
            }
        }
        result.seconds = ProcessMeasurement.now - start
        return result
    }
}

public struct ReplayError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Pulls HEP packets out of a capture's UDP payloads.
final class NetworkCollector {
    var dissector = NetworkDissector()
    var counters = DecodeCounters()

    func hepPayloads(_ f: CaptureFrame) -> [[UInt8]] {
        var out: [[UInt8]] = []
        dissector.dissect(linkType: f.linkType, frame: f.data, timestamp: f.timestamp, frameNumber: f.frameNumber,
                          counters: &counters) { seg in
            if seg.transportProtocol == .udp, HEPDecoder.looksLikeHEP(seg.payload, allowV1V2: false) {
                out.append(Array(seg.payload))
            }
        }
        return out
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ReplayError("\(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data += chunk[0..<n]
    }
    return data
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
