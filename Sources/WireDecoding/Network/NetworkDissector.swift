/// Turns capture frames into application payloads: link header, IP (with fragment
/// reassembly and tunnels), then UDP, TCP (with per-direction stream reassembly) or SCTP.
///
/// Unfragmented UDP and in-order TCP data come out as slices of the frame itself; only
/// fragments, out-of-order TCP data and fragmented SCTP messages are copied.
public struct NetworkDissector: Sendable {
    public let limits: NetworkLimits
    var fragments: FragmentReassembler
    var tcp: TCPReassembler
    var sctp: SCTPReassembler

    /// `reportsConnectionEnds`: also emit, for each TCP direction that ends (its FIN reached,
    /// a reset, dropped from a full table, replaced by a new connection), a segment with no
    /// bytes and `endsConnection` set, so that a framer's state for it can go.
    public init(limits: NetworkLimits = .init(), reportsConnectionEnds: Bool = false) {
        self.limits = limits
        fragments = FragmentReassembler(limits: limits)
        tcp = TCPReassembler(limits: limits, reportsEnds: reportsConnectionEnds)
        sctp = SCTPReassembler(limits: limits)
    }

    /// Decodes one captured frame and calls `emit` for each application payload found
    /// (0, 1 or several). Frames with nothing for us count as `ignored`; broken ones are
    /// counted as malformed with a reason.
    public mutating func dissect(
        linkType: UInt32, frame: UnsafeRawBufferPointer, timestamp: Timestamp,
        frameNumber: Int, counters: inout DecodeCounters,
        emit: (TransportSegment) -> Void
    ) {
        let context = FrameContext(frame: frame, timestamp: timestamp, frameNumber: frameNumber)
        decodeLink(linkType: linkType, frame, context, &counters, emit)
    }

    /// Flushes TCP data held back behind gaps at the end of the input (emitted with
    /// `discontinuity` set) and counts what could not be completed: IP datagrams missing
    /// fragments and SCTP messages missing pieces.
    public mutating func finish(counters: inout DecodeCounters, emit: (TransportSegment) -> Void) {
        tcp.flushAll(emit)
        let incompleteDatagrams = fragments.removeAll()
        for _ in 0..<incompleteDatagrams { counters.countMalformed("incomplete ip fragments") }
        let incompleteMessages = sctp.removeAll()
        for _ in 0..<incompleteMessages { counters.countMalformed("incomplete sctp message") }
    }

    /// TCP directions open now (for diagnostics and tests); closed ones are remembered apart.
    public var trackedTCPFlows: Int { tcp.openFlowCount }
    /// IP datagrams waiting for missing fragments.
    public var pendingFragmentedDatagrams: Int { fragments.pendingCount }
}

typealias SegmentSink = (TransportSegment) -> Void

/// The frame being decoded, carried down the layers so that payloads can say where they sit.
struct FrameContext {
    let frame: UnsafeRawBufferPointer
    let timestamp: Timestamp
    let frameNumber: Int

    /// The payload's offset in the frame when it is a slice of it; reassembly buffers are
    /// separate allocations and never fall inside the frame.
    @inline(__always) func offsetInFrame(_ payload: UnsafeRawBufferPointer) -> Int? {
        guard let base = frame.baseAddress, let start = payload.baseAddress else { return nil }
        let offset = start - base
        return offset >= 0 && offset <= frame.count - payload.count ? offset : nil
    }
}
