/// Rebuilds user messages that the sender split over several DATA chunks (B/E flags),
/// per association direction and stream, by consecutive TSNs; and tells DATA chunks sent again
/// (a retransmission carries the TSN it had) from new ones.
struct SCTPReassembler {
    struct Key: Hashable {
        var source: Endpoint
        var destination: Endpoint
        var stream: UInt16
    }

    struct Partial {
        var bytes: [UInt8]
        var nextTSN: UInt32
    }

    private var partials: [Key: Partial] = [:]
    /// Per direction: the highest TSN seen, and a bit for each of the 64 below it (bit k:
    /// highest - k - 1) that was seen too.
    private var seenTSNs: [FlowKey: (highest: UInt32, below: UInt64)] = [:]
    let maximumBytes: Int
    let maximumPartials: Int

    init(limits: NetworkLimits) {
        maximumBytes = max(0, limits.maximumSCTPMessageBytes)
        maximumPartials = max(1, limits.maximumSCTPPartialMessages)
    }

    enum Outcome {
        case pending
        case complete([UInt8])
        /// A piece that does not continue anything we hold, or a message over the size cap.
        case broken
    }

    mutating func add(
        _ key: Key, tsn: UInt32, begin: Bool, end: Bool, _ data: UnsafeRawBufferPointer, dropped: inout Int
    ) -> Outcome {
        if begin {
            if partials.removeValue(forKey: key) != nil { dropped += 1 }
            guard data.count <= maximumBytes else { return .broken }
            if partials.count >= maximumPartials, let victim = partials.keys.first {
                partials.removeValue(forKey: victim)
                dropped += 1
            }
            partials[key] = Partial(bytes: [UInt8](data), nextTSN: tsn &+ 1)
            return .pending
        }
        guard var partial = partials.removeValue(forKey: key) else { return .broken }
        guard partial.nextTSN == tsn, partial.bytes.count &+ data.count <= maximumBytes else { return .broken }
        partial.bytes.append(contentsOf: data)
        partial.nextTSN = tsn &+ 1
        if end { return .complete(partial.bytes) }
        partials[key] = partial
        return .pending
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

    mutating func removeAll() -> Int {
        seenTSNs.removeAll()
        let n = partials.count
        partials.removeAll()
        return n
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
            let key = SCTPReassembler.Key(source: from, destination: to, stream: chunk.be16(8))
            let outcome = sctp.add(key, tsn: chunk.be32(4), begin: begin, end: end, userData, dropped: &dropped)
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
