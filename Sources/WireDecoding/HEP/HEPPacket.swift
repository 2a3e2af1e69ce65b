/// One decoded HEP packet (v1, v2 or v3). Strings and the payload are ranges into the bytes the
/// packet was decoded from, so decoding copies nothing; only a compressed payload is inflated
/// into its own buffer.
public struct HEPPacket: Sendable {
    public var version: UInt8
    /// The IP family value as sent (2, 10 on Linux; other systems use other numbers).
    public var ipFamily: UInt8?
    /// The IP protocol value as sent: 17 UDP, 6 TCP, 132 SCTP, 22 "TLS" (Kamailio, OpenSIPS,
    /// FreeSWITCH), 50 WS/WSS (OpenSIPS).
    public var ipProtocol: UInt8?
    public var source = Endpoint.unknown
    public var destination = Endpoint.unknown
    /// The sender's timestamp; nil when absent or zero (then the receive time stands in).
    public var timestamp: Timestamp?
    /// Payload protocol type (chunk 0x0b); v1 and v2 only carry SIP.
    public var payloadType: UInt8 = HEPPayloadType.sip
    /// The capture agent id exactly as sent.
    public var captureID: UInt32?
    public var correlationID: Range<Int>?
    public var authKey: Range<Int>?
    public var nodeName: Range<Int>?
    public var vlanID: UInt16?
    public var payload: Range<Int>?
    /// Set when the payload came in chunk 0x10 and was inflated.
    public var inflatedPayload: [UInt8]?
    /// Bytes after the HEP total length inside the datagram (flagged, not an error).
    public var trailingBytes = 0
    /// The remaining generic chunks, for the message detail view.
    public var extras: HEPExtras {
        get { extrasBox?.value ?? HEPExtras() }
        set { extrasBox = newValue == HEPExtras() ? nil : ExtrasBox(newValue) }
    }
    // Boxed: most agents send none of them, and a packet is copied a few times on its way
    // through the decoder (the extras are a third of its size).
    private var extrasBox: ExtrasBox?

    private final class ExtrasBox: Sendable {
        let value: HEPExtras
        init(_ value: HEPExtras) { self.value = value }
    }

    public init(version: UInt8) { self.version = version }

    /// The capture id as the user configured it: sngrep writes htons(id) into a 32-bit field, so
    /// on little-endian hosts id 2002 arrives as 2002 × 65536. Such values are shifted back.
    public var displayCaptureID: UInt32? {
        guard let id = captureID else { return nil }
        if id > 0xffff, id & 0xffff == 0 { return id >> 16 }
        return id
    }

    /// Calls `body` with the payload bytes (inflated or in place).
    public func withPayload<R>(in packetBytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let inflated = inflatedPayload {
            return try inflated.withUnsafeBytes(body)
        }
        if let r = payload { return try body(packetBytes.slice(r)) }
        return try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// The transport the SIP message used, from the IP protocol value; 22 and 50 are refined
    /// later from the top Via (WS or WSS) by the caller, since only the payload can tell.
    public var transport: SIPTransport {
        switch ipProtocol {
        case 6: .tcp
        case 22: .tls
        case 50: .ws
        case 132: .sctp
        default: .udp
        }
    }
}

public enum HEPPayloadType {
    public static let sip: UInt8 = 1
    public static let rtcpJSON: UInt8 = 5
    public static let log: UInt8 = 100

    public static func name(_ type: UInt8) -> String {
        switch type {
        case 1: "SIP"
        case 2: "XMPP"
        case 3: "SDP"
        case 4: "RTP"
        case 5: "RTCP"
        case 6: "MGCP"
        case 7: "MEGACO"
        case 8: "M2UA"
        case 9: "M3UA"
        case 10: "IAX"
        case 32: "QOS"
        case 34: "MOS"
        case 35: "RTCPXR"
        case 50: "SIP-JSON"
        case 53: "DNS"
        case 56: "DIAMETER"
        case 60: "CDR"
        case 100: "LOG"
        default: "TYPE-\(type)"
        }
    }
}

public enum HEPDecodeError: Error, Equatable, Sendable {
    case notHEP
    case truncated(String)
    case invalid(String)

    /// A short stable phrase for the malformed-packet counters.
    public var reason: String {
        switch self {
        case .notHEP: "not HEP"
        case .truncated(let why), .invalid(let why): why
        }
    }
}

/// Generic HEPv3 chunks beyond what grouping needs (0x0d, 0x14-0x29): kept so the detail view
/// can show everything the agent sent. Strings are ranges into the packet bytes.
public struct HEPExtras: Sendable, Equatable {
    public var keepAliveSeconds: UInt16?      // 0x0d
    public var sourceMAC: UInt64?             // 0x14 (6 or 8 bytes on the wire)
    public var destinationMAC: UInt64?        // 0x15
    public var ethernetType: UInt16?          // 0x16
    public var tcpFlags: UInt16?              // 0x17 (1 byte, or 2 from some agents)
    public var ipTOS: UInt8?                  // 0x18
    public var mos: UInt16?                   // 0x20
    public var rFactor: UInt16?               // 0x21
    public var geoLocation: Range<Int>?       // 0x22
    public var jitter: UInt32?                // 0x23
    public var transactionType: Range<Int>?   // 0x24
    public var payloadJSONKeys: Range<Int>?   // 0x25
    public var tagValues: Range<Int>?         // 0x26
    public var tagType: UInt16?               // 0x27
    public var eventType: UInt16?             // 0x28
    public var groupID: Range<Int>?           // 0x29
    /// OpenSIPS "extra correlation" JSON (0x65).
    public var extraCorrelation: Range<Int>?

    public init() {}
}
