/// One application payload found in a capture frame, handed to the caller of
/// `NetworkDissector.dissect`. It is borrowed: `payload` points into the frame or into a
/// reassembly buffer and is valid only while the callback runs, which keeps the common path
/// free of copies.
public struct TransportSegment {
    public var source: Endpoint
    public var destination: Endpoint
    public var transportProtocol: TransportProtocol
    /// UDP datagram payload; SCTP DATA chunk user data (a whole message when the sender
    /// fragmented it); for TCP the next in-order stream bytes of that direction.
    public var payload: UnsafeRawBufferPointer
    public var timestamp: Timestamp
    /// The frame the bytes arrived in. TCP data held back behind a gap keeps the frame and
    /// time it was captured in, so it can come out after a later frame's data.
    public var frameNumber: Int
    /// TCP only: bytes of this direction were lost or skipped before `payload` (a gap given
    /// up on, a stream picked up mid-way or restarted by a new SYN). Whoever frames the
    /// stream must drop partial state and resynchronise.
    public var discontinuity: Bool
    /// TCP only, with no bytes (and only from a dissector asked to report them): this
    /// direction's connection ended; nothing more of it will come.
    public var endsConnection = false
    /// Where `payload` starts within the frame when it is a plain slice of it; nil when the
    /// bytes come from a reassembly buffer.
    public var payloadOffsetInFrame: Int?

    public init(
        source: Endpoint, destination: Endpoint, transportProtocol: TransportProtocol,
        payload: UnsafeRawBufferPointer, timestamp: Timestamp, frameNumber: Int,
        discontinuity: Bool = false, payloadOffsetInFrame: Int? = nil
    ) {
        self.source = source
        self.destination = destination
        self.transportProtocol = transportProtocol
        self.payload = payload
        self.timestamp = timestamp
        self.frameNumber = frameNumber
        self.discontinuity = discontinuity
        self.payloadOffsetInFrame = payloadOffsetInFrame
    }
}

/// Bounds on the state kept between frames, so that a hostile or broken capture cannot make
/// the dissector hold unbounded memory.
public struct NetworkLimits: Sendable {
    /// Largest reassembled IPv4 payload (the total length field is 16 bits).
    public var maximumIPv4ReassemblyBytes = 65_535
    /// Largest reassembled IPv6 fragmentable part (offset up to 65528 plus a last piece).
    public var maximumIPv6ReassemblyBytes = 65_535 + 1_500
    /// Fragment keys (source, destination, protocol, id) waiting for their missing pieces.
    public var maximumPendingFragmentKeys = 1_024
    /// Capture time after the first piece of a datagram when the incomplete rest is dropped.
    public var fragmentTimeoutSeconds: Double = 30
    /// Out-of-order bytes held per TCP direction before the gap in front of them is given up.
    public var maximumTCPBufferedBytes = 1 << 20
    /// Out-of-order segments held per TCP direction (tiny ones would otherwise be a million
    /// entries within the byte limit) before the gap in front of them is given up.
    public var maximumTCPHeldSegments = 4_096
    /// TCP directions tracked at once; the least recently used are dropped beyond this.
    public var maximumTCPFlows = 65_536
    /// Nested tunnels (IP-in-IP, GRE, ERSPAN, VXLAN) followed before a frame is rejected.
    public var maximumEncapsulationDepth = 8
    /// Largest SCTP user message rebuilt from fragmented DATA chunks.
    public var maximumSCTPMessageBytes = 1 << 18
    /// SCTP streams with a fragmented message in progress.
    public var maximumSCTPPartialMessages = 1_024

    public init() {}
}
