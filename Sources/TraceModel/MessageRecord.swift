import WireDecoding

/// One SIP message or HEP event in the model: a compact, fixed-size record. Text fields are ids
/// into the store's tables; the payload is a reference into the input file or an arena, never a
/// copy per message.
public struct MessageRecord: Sendable {
    public var time: Timestamp
    public var payload: PayloadRef
    public var source: UInt32          // endpoint id
    public var destination: UInt32     // endpoint id
    public var call: Int32             // index into calls; -1 for events without a call
    public var cseq: UInt32
    /// 32-bit hash of the payload, to spot the same bytes again (confirmed on the bytes).
    public var payloadHash: UInt32
    public var frame: UInt32
    public var origin: UInt16          // index into origins: where and how it was captured
    public var status: UInt16          // 0 for requests and events
    public var transaction: UInt16     // index into the call's transactions
    public var method: SIPMethod
    /// The CSeq method (unknown ones are kept by TraceStore.cseqText).
    public var cseqMethod: SIPMethod
    public var hasCSeq: Bool
    public var transport: SIPTransport
    public var payloadType: UInt8
    public var flags: Flags
    /// HEP time minus capture (or receive) time, in microseconds: the capture time without a
    /// trip back to the file. Int32.min when it does not fit (over ±35 minutes apart).
    public var captureOffset: Int32 = 0
    /// The call's message before this one in arrival order (-1: the first). Calls keep their
    /// messages as this chain, not as an array each: no allocation per call, four bytes a message.
    public internal(set) var previousInCall: Int32 = -1

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The same bytes were already seen from the same capture point: a retransmission.
        public static let retransmission = Flags(rawValue: 1)
        /// Seen again at another capture point (see TraceStore.sightings(of:)).
        public static let multipleSightings = Flags(rawValue: 2)
        /// The capture has a comment on this frame.
        public static let commented = Flags(rawValue: 4)
    }

    public var isSIP: Bool { call >= 0 }
    public var isRequest: Bool { status == 0 }
    public var isRetransmission: Bool { flags.contains(.retransmission) }
}

/// Where a payload's bytes are kept: in input `source` (1...) at `offset`, or in the store's own
/// arena (source 0) for payloads that were reassembled or inflated.
public struct PayloadRef: Sendable {
    // Offset (48 bits, 256 TiB) and source share eight bytes: with the chain link that makes
    // room for, a record stays 64 bytes.
    private var packed: UInt64
    public var length: UInt32

    public init(offset: Int, length: UInt32, source: UInt16) {
        packed = UInt64(truncatingIfNeeded: offset) & 0xffff_ffff_ffff | UInt64(source) << 48
        self.length = length
    }

    public var offset: Int { Int(packed & 0xffff_ffff_ffff) }
    public var source: UInt16 { UInt16(truncatingIfNeeded: packed >> 48) }
}

/// How a message reached us: the HEP agent (capture id, node) or the capture file and interface.
/// Few distinct values exist, so records share them by index.
public struct MessageOrigin: Hashable, Sendable {
    public var hepVersion: UInt8       // 0 when not HEP
    public var ipProtocol: UInt8       // HEP IP protocol value as sent
    public var captureID: UInt32       // as configured (sngrep's ×65536 undone)
    public var node: UInt32            // string id of the HEP node name
    public var input: UInt16           // payload source index of the input
    public var interface: UInt16       // pcapng interface

    /// Two sightings of one message come from different capture points.
    public var capturePoint: CapturePoint {
        hepVersion != 0 ? CapturePoint(a: captureID, b: node, hep: true)
                        : CapturePoint(a: UInt32(input), b: UInt32(interface), hep: false)
    }
}

public struct CapturePoint: Hashable, Sendable {
    var a: UInt32
    var b: UInt32
    var hep: Bool
}

/// A second (third...) sighting of one message at another capture point.
public struct Sighting: Sendable {
    public var origin: UInt16
    public var time: Timestamp
    public var frame: UInt32
    /// Time after the first sighting: the hop delay between the two capture points.
    public var delay: Int64
}
