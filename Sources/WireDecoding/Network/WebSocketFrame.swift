/// WebSocket frame headers (RFC 6455 §5.2), for SIP over WebSocket (RFC 7118). The network
/// layer only delivers TCP stream bytes; whoever frames that stream calls `parse` at each frame
/// boundary and `unmask` on client-to-server payloads.
public enum WebSocketFrame {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10

        public var isControl: Bool { rawValue >= 8 }
    }

    public struct Header: Equatable, Sendable {
        public var opcode: Opcode
        public var fin: Bool
        /// RSV1..RSV3 as the low three bits; RSV1 set means a negotiated extension
        /// (permessage-deflate) compressed the payload.
        public var reservedBits: UInt8
        /// Bytes before the payload: 2, plus 2 or 8 for an extended length, plus 4 for a mask.
        public var headerLength: Int
        public var payloadLength: Int
        /// The masking key as the four wire bytes read big-endian; nil for server frames.
        public var maskKey: UInt32?

        public init(
            opcode: Opcode, fin: Bool, reservedBits: UInt8, headerLength: Int, payloadLength: Int, maskKey: UInt32?
        ) {
            self.opcode = opcode
            self.fin = fin
            self.reservedBits = reservedBits
            self.headerLength = headerLength
            self.payloadLength = payloadLength
            self.maskKey = maskKey
        }

        /// Header plus payload.
        public var frameLength: Int { headerLength + payloadLength }
    }

    public enum ParseResult: Equatable, Sendable {
        case frame(Header)
        /// The header is cut short; the payload is never required to be present.
        case needMore
        /// Not a WebSocket frame: reserved opcode, oversized or fragmented control frame,
        /// or a 64-bit length with the top bit set.
        case invalid
    }

    /// Reads the frame header at the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 2 else { return .needMore }
        let b0 = bytes[0], b1 = bytes[1]
        guard let opcode = Opcode(rawValue: b0 & 0x0f) else { return .invalid }
        let fin = b0 & 0x80 != 0
        let masked = b1 & 0x80 != 0
        var length = Int(b1 & 0x7f)
        var headerLength = 2
        if length == 126 {
            guard bytes.count >= 4 else { return .needMore }
            length = Int(bytes.be16(2))
            headerLength = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMore }
            let wide = bytes.be64(2)
            guard wide >> 63 == 0 else { return .invalid }
            length = Int(wide)
            headerLength = 10
        }
        if opcode.isControl, !fin || length > 125 { return .invalid }
        var key: UInt32?
        if masked {
            guard bytes.count >= headerLength + 4 else { return .needMore }
            key = bytes.be32(headerLength)
            headerLength += 4
        }
        // A length this large cannot be framed by anyone; refusing it keeps
        // `headerLength + payloadLength` from overflowing in callers.
        guard length <= Int.max - headerLength else { return .invalid }
        return .frame(Header(
            opcode: opcode, fin: fin, reservedBits: (b0 >> 4) & 0x07,
            headerLength: headerLength, payloadLength: length, maskKey: key))
    }

    /// Appends `payload` XORed with `key` to `output`. `keyOffset` is how many payload bytes of
    /// the same frame were unmasked before, for payloads that arrive in pieces.
    public static func unmask(
        _ payload: UnsafeRawBufferPointer, key: UInt32, keyOffset: Int = 0, into output: inout [UInt8]
    ) {
        let keyBytes: (UInt8, UInt8, UInt8, UInt8) = (
            UInt8(truncatingIfNeeded: key >> 24), UInt8(truncatingIfNeeded: key >> 16),
            UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key))
        let start = output.count
        output.reserveCapacity(start + payload.count)
        let phase = keyOffset & 3
        for i in 0..<payload.count {
            let k: UInt8
            switch (i &+ phase) & 3 {
            case 0: k = keyBytes.0
            case 1: k = keyBytes.1
            case 2: k = keyBytes.2
            default: k = keyBytes.3
            }
            output.append(payload[i] ^ k)
        }
    }
}
