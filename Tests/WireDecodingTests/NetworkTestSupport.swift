import Foundation
import TestSupport
import WireDecoding

/// A frame as read from a test capture.
struct NetTestFrame {
    var number: Int
    var linkType: UInt32
    var timestamp: Timestamp
    var data: [UInt8]
}

/// Minimal capture reading for these tests only (the real reader lives elsewhere): classic
/// pcap in either byte order with µs or ns stamps, and pcapng sections with SHB, IDB and EPB.
enum NetTestCapture {
    struct FormatError: Error, CustomStringConvertible { var description: String }

    static func load(_ url: URL) throws -> [NetTestFrame] {
        let bytes = try Fixtures.bytes(url)
        guard bytes.count >= 4 else { throw FormatError(description: "too short") }
        return try bytes.withUnsafeBytes { raw in
            raw.le32(0) == 0x0A0D_0D0A ? try pcapng(raw) : try pcap(raw)
        }
    }

    private static func pcap(_ raw: UnsafeRawBufferPointer) throws -> [NetTestFrame] {
        guard raw.count >= 24 else { throw FormatError(description: "short pcap header") }
        let magic = raw.le32(0)
        let little: Bool
        let nanos: Bool
        switch magic {
        case 0xA1B2_C3D4: (little, nanos) = (true, false)
        case 0xA1B2_3C4D: (little, nanos) = (true, true)
        case 0xD4C3_B2A1: (little, nanos) = (false, false)
        case 0x4D3C_B2A1: (little, nanos) = (false, true)
        default: throw FormatError(description: "not a pcap file")
        }
        func u32(_ o: Int) -> UInt32 { little ? raw.le32(o) : raw.be32(o) }
        let linkType = u32(20) & 0xffff
        var frames: [NetTestFrame] = []
        var offset = 24
        while offset + 16 <= raw.count {
            let seconds = Int64(u32(offset)), fraction = Int64(u32(offset + 4))
            let length = Int(u32(offset + 8))
            guard offset + 16 + length <= raw.count else { throw FormatError(description: "cut record") }
            let data = [UInt8](raw.slice((offset + 16)..<(offset + 16 + length)))
            let ts = nanos ? Timestamp(seconds: seconds, nanoseconds: fraction) : Timestamp(seconds: seconds, microseconds: fraction)
            frames.append(NetTestFrame(number: frames.count + 1, linkType: linkType, timestamp: ts, data: data))
            offset += 16 + length
        }
        return frames
    }

    /// Little-endian sections only; interface time resolution assumed to be microseconds.
    private static func pcapng(_ raw: UnsafeRawBufferPointer) throws -> [NetTestFrame] {
        var linkTypes: [UInt32] = []
        var frames: [NetTestFrame] = []
        var offset = 0
        while offset + 12 <= raw.count {
            let type = raw.le32(offset)
            let length = Int(raw.le32(offset + 4))
            guard length >= 12, length % 4 == 0, offset + length <= raw.count else {
                throw FormatError(description: "bad pcapng block")
            }
            switch type {
            case 0x0A0D_0D0A:
                guard raw.le32(offset + 8) == 0x1A2B_3C4D else { throw FormatError(description: "big-endian pcapng") }
                linkTypes = []
            case 1:
                linkTypes.append(UInt32(raw.le16(offset + 8)))
            case 6:
                let interface = Int(raw.le32(offset + 8))
                let stamp = UInt64(raw.le32(offset + 12)) << 32 | UInt64(raw.le32(offset + 16))
                let captured = Int(raw.le32(offset + 20))
                guard interface < linkTypes.count, 28 + captured <= length else {
                    throw FormatError(description: "bad epb")
                }
                let data = [UInt8](raw.slice((offset + 28)..<(offset + 28 + captured)))
                frames.append(NetTestFrame(
                    number: frames.count + 1, linkType: linkTypes[interface],
                    timestamp: Timestamp(nanoseconds: Int64(stamp) * 1000), data: data))
            default:
                break
            }
            offset += length
        }
        return frames
    }
}

/// An emitted segment copied out of the callback.
struct NetTestSegment {
    var source: Endpoint
    var destination: Endpoint
    var transportProtocol: TransportProtocol
    var payload: [UInt8]
    var timestamp: Timestamp
    var frameNumber: Int
    var discontinuity: Bool
    var payloadOffsetInFrame: Int?
    var endsConnection: Bool

    init(_ s: TransportSegment) {
        source = s.source
        destination = s.destination
        transportProtocol = s.transportProtocol
        payload = [UInt8](s.payload)
        timestamp = s.timestamp
        frameNumber = s.frameNumber
        discontinuity = s.discontinuity
        payloadOffsetInFrame = s.payloadOffsetInFrame
        endsConnection = s.endsConnection
    }

    var text: String { String(decoding: payload, as: UTF8.self) }
    var direction: String { "\(source) -> \(destination)" }
}

struct NetTestRun {
    var segments: [NetTestSegment] = []
    var counters = DecodeCounters()
    /// Segments per frame number, to check one frame in isolation.
    var byFrame: [Int: [NetTestSegment]] {
        Dictionary(grouping: segments, by: \.frameNumber)
    }

    /// Payload bytes concatenated per direction (in emission order).
    func streams(_ proto: TransportProtocol = .tcp) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for s in segments where s.transportProtocol == proto { out[s.direction, default: []] += s.payload }
        return out
    }
}

enum NetTest {
    static func run(
        _ frames: [NetTestFrame], limits: NetworkLimits = .init(), linkType: UInt32? = nil, finish: Bool = true,
        reportsConnectionEnds: Bool = false
    ) -> NetTestRun {
        var dissector = NetworkDissector(limits: limits, reportsConnectionEnds: reportsConnectionEnds)
        var run = NetTestRun()
        for f in frames {
            f.data.withUnsafeBytes { raw in
                dissector.dissect(
                    linkType: linkType ?? f.linkType, frame: raw, timestamp: f.timestamp, frameNumber: f.number,
                    counters: &run.counters) { run.segments.append(NetTestSegment($0)) }
            }
        }
        if finish {
            dissector.finish(counters: &run.counters) { run.segments.append(NetTestSegment($0)) }
        }
        return run
    }

    static func run(capture url: URL, limits: NetworkLimits = .init()) throws -> NetTestRun {
        run(try NetTestCapture.load(url), limits: limits)
    }

    /// FNV-1a, 64 bit: a cheap fingerprint to compare a whole stream against a figure
    /// computed independently from the same capture.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Counts SIP start lines at the start of the stream or after a newline: a status line
    /// "SIP/2.0 " or a request line "<UPPERCASE> sip:" / "<UPPERCASE> sips:".
    static func startLineCount(_ bytes: [UInt8]) -> Int {
        var count = 0
        var i = 0
        while i < bytes.count {
            if i == 0 || bytes[i - 1] == 0x0A, isStartLine(bytes, at: i) { count += 1 }
            i += 1
        }
        return count
    }

    static func isStartLine(_ bytes: [UInt8], at i: Int) -> Bool {
        func matches(_ s: String, at j: Int) -> Bool {
            let u = Array(s.utf8)
            guard j + u.count <= bytes.count else { return false }
            return Array(bytes[j..<(j + u.count)]) == u
        }
        if matches("SIP/2.0 ", at: i) { return true }
        var j = i
        while j < bytes.count, bytes[j] >= 0x41, bytes[j] <= 0x5A { j += 1 }
        return j > i && (matches(" sip:", at: j) || matches(" sips:", at: j))
    }

    /// Splits a SIP message at the blank line and returns (Content-Length header value, body size).
    static func contentLengthAndBody(_ text: String) -> (Int?, Int)? {
        guard let range = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<range.lowerBound]
        let body = text[range.upperBound...]
        var length: Int?
        for line in head.split(separator: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") || lower.hasPrefix("l:") {
                length = Int(line[line.index(after: line.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return (length, body.utf8.count)
    }
}
