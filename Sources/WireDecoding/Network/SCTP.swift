/// Rebuilds user messages that the sender split over several DATA chunks (B/E flags), per
/// association direction: the fragments of one message carry consecutive TSNs (RFC 9260 §6.9),
/// so they are kept by TSN and joined once a run from a B to an E is whole, in whatever order
/// the capture saw them (a lost chunk sent again arrives after the ones behind it). Also tells
/// DATA chunks sent again (a retransmission carries the TSN it had) from new ones.
struct SCTPReassembler {
    struct Fragment {
        var stream: UInt16
        var begin: Bool
        var end: Bool
        var bytes: [UInt8]
    }

    /// One direction's fragments waiting for the rest of their message, by TSN.
    struct Waiting {
        var fragments: [UInt32: Fragment] = [:]
        var bytes = 0
        /// The newest TSN added: the fragments furthest behind it are given up first.
        var newest: UInt32 = 0
    }

    private var waiting: [FlowKey: Waiting] = [:]
    /// Per direction: the highest TSN seen, and a bit for each of the 64 below it (bit k:
    /// highest - k - 1) that was seen too.
    private var seenTSNs: [FlowKey: (highest: UInt32, below: UInt64)] = [:]
    let maximumBytes: Int
    let maximumPartials: Int

    init(limits: NetworkLimits) {
        maximumBytes = max(0, limits.maximumSCTPMessageBytes)
        maximumPartials = max(1, limits.maximumSCTPPartialMessages)
    }

    /// Fragments held per direction, and their bytes, before the oldest are given up.
    var maximumFragments: Int { maximumPartials * 16 }
    var maximumWaitingBytes: Int { maximumBytes * 4 }

    enum Outcome {
        case pending
        case complete([UInt8])
        /// A fragment larger than a message may be, or a message over the size cap.
        case broken
    }

    /// Adds one fragment (not both B and E) of `direction`; `dropped` counts the messages given
    /// up to make room.
    mutating func add(
        _ direction: FlowKey, tsn: UInt32, stream: UInt16, begin: Bool, end: Bool, _ data: UnsafeRawBufferPointer,
        dropped: inout Int
    ) -> Outcome {
        guard data.count <= maximumBytes else { return .broken }
        if waiting[direction] == nil, waiting.count >= maximumPartials {
            // Directions beyond the cap: the one with the most waiting goes.
            if let victim = waiting.max(by: { $0.value.fragments.count < $1.value.fragments.count })?.key {
                dropped += Self.messagesIn(waiting.removeValue(forKey: victim)?.fragments ?? [:])
            }
        }
        var w = waiting.removeValue(forKey: direction) ?? Waiting()
        defer { if !w.fragments.isEmpty { waiting[direction] = w } }
        guard w.fragments[tsn] == nil else { return .pending }
        w.fragments[tsn] = Fragment(stream: stream, begin: begin, end: end, bytes: [UInt8](data))
        w.bytes += data.count
        w.newest = tsn
        // The run this fragment belongs to: back to its B, on to its E, same stream throughout.
        var first = tsn, last = tsn
        var total = data.count
        while let f = w.fragments[first], !f.begin {
            guard let before = w.fragments[first &- 1], before.stream == stream, !before.end else {
                dropped += w.makeRoom(maximumFragments, maximumWaitingBytes)
                return .pending
            }
            first &-= 1
            total += before.bytes.count
        }
        while let f = w.fragments[last], !f.end {
            guard let after = w.fragments[last &+ 1], after.stream == stream, !after.begin else {
                dropped += w.makeRoom(maximumFragments, maximumWaitingBytes)
                return .pending
            }
            last &+= 1
            total += after.bytes.count
        }
        var message: [UInt8] = []
        if total <= maximumBytes { message.reserveCapacity(total) }
        var t = first
        while true {
            if let f = w.fragments.removeValue(forKey: t) {
                w.bytes -= f.bytes.count
                if total <= maximumBytes { message.append(contentsOf: f.bytes) }
            }
            if t == last { break }
            t &+= 1
        }
        return total <= maximumBytes ? .complete(message) : .broken
    }

    /// Messages that `fragments` hold parts of: each run of consecutive TSNs of one stream that
    /// no B is inside counts once, as does each B.
    static func messagesIn(_ fragments: [UInt32: Fragment]) -> Int {
        fragments.reduce(0) { n, entry in
            let (tsn, f) = entry
            if f.begin { return n + 1 }
            guard let before = fragments[tsn &- 1], before.stream == f.stream, !before.end else { return n + 1 }
            return n
        }
    }

    /// True when a DATA chunk with this TSN was seen before in this direction: a retransmission,
    /// which carries nothing new. TSNs more than 64 behind the highest are let through.
    mutating func isRepeat(_ direction: FlowKey, tsn: UInt32) -> Bool {
        guard var w = seenTSNs[direction] else {
            if seenTSNs.count >= maximumPartials * 4 { seenTSNs.removeAll() }
            seenTSNs[direction] = (tsn, 0)
            return false
        }
        let ahead = Int(Int32(bitPattern: tsn &- w.highest))
        if ahead > 0 {
            // The old highest becomes bit ahead - 1; older bits move up with it.
            w.below = ahead >= 64 ? (ahead == 64 ? 1 << 63 : 0) : (w.below << UInt64(ahead)) | (1 << UInt64(ahead - 1))
            w.highest = tsn
            seenTSNs[direction] = w
            return false
        }
        guard ahead < 0 else { return true }
        let back = -ahead
        guard back <= 64 else { return false }
        let bit: UInt64 = 1 << UInt64(back - 1)
        if w.below & bit != 0 { return true }
        w.below |= bit
        seenTSNs[direction] = w
        return false
    }

    /// Forgets everything; returns how many messages were still missing pieces.
    mutating func removeAll() -> Int {
        seenTSNs.removeAll()
        let n = waiting.values.reduce(0) { $0 + Self.messagesIn($1.fragments) }
        waiting.removeAll()
        return n
    }
}

extension SCTPReassembler.Waiting {
    /// Gives up the fragments furthest behind the newest TSN until at most `fragments` of them
    /// and `bytes` bytes are held; returns the messages given up.
    mutating func makeRoom(_ maximumFragments: Int, _ maximumBytes: Int) -> Int {
        guard fragments.count > maximumFragments || bytes > maximumBytes else { return 0 }
        let byAge = fragments.keys.sorted { (newest &- $0) > (newest &- $1) }
        var given: [UInt32: SCTPReassembler.Fragment] = [:]
        for tsn in byAge where fragments.count > maximumFragments / 2 || bytes > maximumBytes / 2 {
            guard let f = fragments.removeValue(forKey: tsn) else { continue }
            bytes -= f.bytes.count
            given[tsn] = f
        }
        return SCTPReassembler.messagesIn(given)
    }
}

extension NetworkDissector {
    /// SCTP (RFC 9260): 12-byte common header, then chunks padded to 4 bytes. DATA (0) and
    /// I-DATA (64, RFC 8260) carry user messages; every other chunk is control traffic.
    mutating func decodeSCTP(
        _ source: IPAddress, _ destination: IPAddress, _ packet: UnsafeRawBufferPointer,
        _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard packet.count >= 12 else { return counters.countMalformed("short sctp header") }
        let from = Endpoint(address: source, port: packet.be16(0))
        let to = Endpoint(address: destination, port: packet.be16(2))
        var offset = 12
        var delivered = false
        while packet.count &- offset >= 4 {
            let type = packet[offset]
            let flags = packet[offset &+ 1]
            let length = Int(packet.be16(offset &+ 2))
            guard length >= 4 else { return counters.countMalformed("bad sctp chunk length") }
            guard length <= packet.count &- offset else { return counters.countMalformed("truncated sctp chunk") }
            let chunk = packet.slice(offset..<(offset &+ length))
            // Padding to 4 may be missing after the last chunk.
            offset = min(packet.count, offset &+ ((length &+ 3) & ~3))
            let headerLength: Int
            switch type {
            case 0: headerLength = 16
            case 64: headerLength = 20
            default: continue
            }
            guard chunk.count >= headerLength else { return counters.countMalformed("bad sctp chunk length") }
            // Sent again (the same TSN): the copy adds nothing, as a TCP retransmission.
            if sctp.isRepeat(FlowKey(from, to), tsn: chunk.be32(4)) { continue }
            let userData = chunk.dropping(headerLength)
            let begin = flags & 0x02 != 0, end = flags & 0x01 != 0
            if begin, end {
                guard userData.count > 0 else { continue }
                delivered = true
                emit(TransportSegment(
                    source: from, destination: to, transportProtocol: .sctp, payload: userData,
                    timestamp: context.timestamp, frameNumber: context.frameNumber, discontinuity: false,
                    payloadOffsetInFrame: context.offsetInFrame(userData)))
                continue
            }
            // I-DATA pieces are ordered by fragment sequence number, not TSN; they are rare
            // enough for SIP that only whole I-DATA messages are delivered.
            guard type == 0 else { continue }
            delivered = true
            var dropped = 0
            let outcome = sctp.add(
                FlowKey(from, to), tsn: chunk.be32(4), stream: chunk.be16(8), begin: begin, end: end, userData,
                dropped: &dropped)
            for _ in 0..<dropped { counters.countMalformed("incomplete sctp message") }
            switch outcome {
            case .pending:
                break
            case .broken:
                counters.countMalformed("incomplete sctp message")
            case .complete(let message):
                message.withUnsafeBytes { bytes in
                    emit(TransportSegment(
                        source: from, destination: to, transportProtocol: .sctp, payload: bytes,
                        timestamp: context.timestamp, frameNumber: context.frameNumber, discontinuity: false,
                        payloadOffsetInFrame: nil))
                }
            }
        }
        if !delivered { counters.ignored += 1 }
    }
}
