/// One SIP message or HEP event as the decoders hand it to the trace model. A borrowed view:
/// `payload`, the HEP string fields and the frame comment are valid only during the callback that
/// delivers it.
public struct DecodedMessage {
    /// The time the message is ordered by: the sender's HEP timestamp when present, else the
    /// capture (or receive) time.
    public var timestamp: Timestamp
    public var captureTime: Timestamp
    /// The SIP endpoints (for HEP, the inner addresses).
    public var source: Endpoint
    public var destination: Endpoint
    public var transport: SIPTransport
    /// HEP payload type; 1 (SIP) for plain captures.
    public var payloadType: UInt8
    public var payload: UnsafeRawBufferPointer
    /// Present when the payload is SIP and its headers were indexed.
    public var sip: SIPMessageIndex?
    public var hep: HEPFacts?
    /// 1-based frame number in the capture file (or datagram number when live).
    public var frameNumber: Int
    /// Where the payload bytes sit in the input, when they are contiguous there (so a store can
    /// keep an offset instead of a copy).
    public var payloadInputOffset: Int?
    /// The capture file's comment on the frame (pcapng opt_comment), if any.
    public var frameComment: FrameComment? = nil
    /// Hashes and the CSeq method, when whoever hands the message over already worked them out
    /// (a decoding thread, while the bytes are still in its cache); nil: the model does.
    public var digest: MessageDigest? = nil

    public var isSIP: Bool { sip != nil }

    public init(timestamp: Timestamp, captureTime: Timestamp, source: Endpoint, destination: Endpoint,
                transport: SIPTransport, payloadType: UInt8, payload: UnsafeRawBufferPointer,
                sip: SIPMessageIndex?, hep: HEPFacts?, frameNumber: Int, payloadInputOffset: Int?) {
        self.timestamp = timestamp
        self.captureTime = captureTime
        self.source = source
        self.destination = destination
        self.transport = transport
        self.payloadType = payloadType
        self.payload = payload
        self.sip = sip
        self.hep = hep
        self.frameNumber = frameNumber
        self.payloadInputOffset = payloadInputOffset
    }
}

/// What HEP said about a message besides its payload.
public struct HEPFacts {
    public var version: UInt8
    public var captureID: UInt32?
    public var displayCaptureID: UInt32?
    public var ipProtocol: UInt8?
    public var hepTimestamp: Timestamp?
    public var correlationID: UnsafeRawBufferPointer?
    public var nodeName: UnsafeRawBufferPointer?
    public var authKey: UnsafeRawBufferPointer?
    /// Where the HEP packet itself came from (the agent) and went to (the collector).
    public var outerSource: Endpoint?
    public var outerDestination: Endpoint?

    public init(version: UInt8, captureID: UInt32?, displayCaptureID: UInt32?, ipProtocol: UInt8?,
                hepTimestamp: Timestamp?, correlationID: UnsafeRawBufferPointer?, nodeName: UnsafeRawBufferPointer?,
                authKey: UnsafeRawBufferPointer?, outerSource: Endpoint?, outerDestination: Endpoint?) {
        self.version = version
        self.captureID = captureID
        self.displayCaptureID = displayCaptureID
        self.ipProtocol = ipProtocol
        self.hepTimestamp = hepTimestamp
        self.correlationID = correlationID
        self.nodeName = nodeName
        self.authKey = authKey
        self.outerSource = outerSource
        self.outerDestination = outerDestination
    }
}
