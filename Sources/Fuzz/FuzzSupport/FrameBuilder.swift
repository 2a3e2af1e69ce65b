/// Builds raw IPv4 frames (LINKTYPE_RAW, 101) around fuzzed payloads, so that bytes a target
/// chose go down the same path as a captured packet's.
public enum FrameBuilder {
    public static let rawIPv4LinkType: UInt32 = 101

    public static func udp(from source: (UInt32, UInt16), to destination: (UInt32, UInt16),
                           _ payload: UnsafeRawBufferPointer) -> [UInt8] {
        var datagram: [UInt8] = []
        datagram.reserveCapacity(28 + payload.count)
        append16(&datagram, source.1)
        append16(&datagram, destination.1)
        append16(&datagram, UInt16(truncatingIfNeeded: 8 + payload.count))
        append16(&datagram, 0)  // no checksum
        datagram.append(contentsOf: payload)
        return ipv4(source.0, destination.0, protocol: 17, datagram)
    }

    public static func tcp(from source: (UInt32, UInt16), to destination: (UInt32, UInt16), sequence: UInt32,
                           flags: UInt8, _ payload: UnsafeRawBufferPointer) -> [UInt8] {
        var segment: [UInt8] = []
        segment.reserveCapacity(40 + payload.count)
        append16(&segment, source.1)
        append16(&segment, destination.1)
        append32(&segment, sequence)
        append32(&segment, 0)  // acknowledgement
        segment.append(5 << 4)  // 20-byte header
        segment.append(flags)
        append16(&segment, 65535)  // window
        append32(&segment, 0)  // checksum, urgent pointer
        segment.append(contentsOf: payload)
        return ipv4(source.0, destination.0, protocol: 6, segment)
    }

    static func ipv4(_ source: UInt32, _ destination: UInt32, protocol p: UInt8, _ body: [UInt8]) -> [UInt8] {
        var packet: [UInt8] = [0x45, 0]
        packet.reserveCapacity(20 + body.count)
        append16(&packet, UInt16(truncatingIfNeeded: 20 + body.count))
        append32(&packet, 0)  // identification, no fragmentation
        packet += [64, p, 0, 0]
        append32(&packet, source)
        append32(&packet, destination)
        packet += body
        return packet
    }

    @inline(__always) static func append16(_ a: inout [UInt8], _ v: UInt16) {
        a.append(UInt8(v >> 8)); a.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always) static func append32(_ a: inout [UInt8], _ v: UInt32) {
        append16(&a, UInt16(v >> 16)); append16(&a, UInt16(truncatingIfNeeded: v))
    }
}

/// Reads structure from the front of a fuzz input, giving zeros once it runs out, so any bytes
/// at all make a valid sequence of choices.
public struct FuzzReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var remaining: Int { bytes.count - position }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    public mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }

    /// The rest of the input.
    public mutating func rest() -> UnsafeRawBufferPointer {
        let r = UnsafeRawBufferPointer(rebasing: bytes[min(position, bytes.count)...])
        position = bytes.count
        return r
    }
}
