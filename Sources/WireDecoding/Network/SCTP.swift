/// Rebuilds user messages that the sender split over several DATA chunks (B/E flags), per
/// association direction: the fragments of one message carry consecutive TSNs (RFC 9260 §6.9),
/// so they are kept by TSN in runs of consecutive ones, joined as neighbours arrive in whatever
/// order the capture saw them (a lost chunk sent again comes after the ones behind it), and a
/// message is whole once a run goes from a B to an E. Joining two runs costs the same however
/// long they are, so a hostile capture cannot make each fragment walk its whole run. Also
/// tells DATA chunks sent again (a retransmission carries the TSN it had) from new ones.
struct SCTPReassembler {
    /// Consecutive fragments of one stream held for a message: from `start` to `end`, with
    /// whether they begin (B) and end (E) it.
    struct Run {
        var start: UInt32
        var end: UInt32
        var stream: UInt16
        var begins: Bool
        var ends: Bool
        var bytes: Int
    }

    /// One direction's fragments waiting for the rest of their message.
    struct Waiting {
        var fragments: [UInt32: [UInt8]] = [:]
        var runs: [UInt32: Run] = [:]           // by start
        var startOfRunEndingAt: [UInt32: UInt32] = [:]
        var bytes = 0
        /// The newest TSN seen (only ever moves forward): runs furthest behind it go first.
        var newest: UInt32 = 0
        /// A message given up as too large: its fragments after `after` (of `stream`) are
        /// dropped as they come, up to its E.
        var discarding: (after: UInt32, stream: UInt16)?

        mutating func remove(_ run: Run) {
            runs.removeValue(forKey: run.start)
            startOfRunEndingAt.removeValue(forKey: run.end)
        }

        /// The run's fragments taken out, in order.
        mutating func takeFragments(of run: Run, keeping: Bool) -> [UInt8] {
            var message: [UInt8] = []
            if keeping { message.reserveCapacity(run.bytes) }
            var t = run.start
            while true {
                if let f = fragments.removeValue(forKey: t) {
                    bytes -= f.count
                    if keeping { message += f }
                }
                if t == run.end { break }
                t &+= 1
            }
            return message
        }
    }

    private var waiting: [FlowKey: Waiting] = [:]
    private(set) var heldFragments = 0
    private(set) var heldBytes = 0
    /// Per direction: the highest TSN seen, and a bit for each of the 64 below it (bit k:
    /// highest - k - 1) that was seen too.
    private var seenTSNs: [FlowKey: (highest: UInt32, below: UInt64)] = [:]
    let maximumBytes: Int
    let maximumPartials: Int

    init(limits: NetworkLimits) {
        maximumBytes = max(0, limits.maximumSCTPMessageBytes)
        maximumPartials = max(1, limits.maximumSCTPPartialMessages)
    }

    /// Fragments, and their bytes, held in all directions before the oldest runs are given up.
    var maximumFragments: Int { maximumPartials * 16 }
    var maximumWaitingBytes: Int { maximumBytes * 16 }

    enum Outcome {
        case pending
        case complete([UInt8])
        /// An empty fragment, or a message over the size cap (its fragments are dropped).
        case broken
    }

    /// Adds one fragment (not both B and E) of `direction`; `dropped` counts the runs given up
    /// to make room (each a message that cannot be completed).
    mutating func add(
        _ direction: FlowKey, tsn: UInt32, stream: UInt16, begin: Bool, end: Bool, _ data: UnsafeRawBufferPointer,
        dropped: inout Int
    ) -> Outcome {
        guard data.count > 0, data.count <= maximumBytes else { return .broken }
        var w = waiting.removeValue(forKey: direction) ?? Waiting()
        defer {
            // Kept while it holds fragments, or drops the rest of a message (within a bound, so
            // that directions holding nothing cannot pile up).
            if !w.fragments.isEmpty || w.discarding != nil && waiting.count < maximumFragments { waiting[direction] = w }
            dropped += makeRoom()
        }
        guard w.fragments[tsn] == nil else { return .pending }
        // The rest of a message already given up as too large goes without a count of its own.
        if let d = w.discarding, d.stream == stream, tsn == d.after &+ 1, !begin {
            w.discarding = end ? nil : (tsn, stream)
            return .pending
        }
        if w.fragments.isEmpty || Int32(bitPattern: tsn &- w.newest) > 0 { w.newest = tsn }
        w.fragments[tsn] = [UInt8](data)
        w.bytes += data.count
        heldFragments += 1
        heldBytes += data.count
        var run = Run(start: tsn, end: tsn, stream: stream, begins: begin, ends: end, bytes: data.count)
        // The run just before joins when it is of this stream, not yet ended, and this is no B.
        if !begin, let s = w.startOfRunEndingAt[tsn &- 1], let left = w.runs[s], left.stream == stream, !left.ends {
            w.remove(left)
            run.start = left.start
            run.begins = left.begins
            run.bytes += left.bytes
        }
        // The run just after joins when it is of this stream, not begun, and this is no E.
        if !end, let right = w.runs[tsn &+ 1], right.stream == stream, !right.begins {
            w.remove(right)
            run.end = right.end
            run.ends = right.ends
            run.bytes += right.bytes
        }
        if run.bytes > maximumBytes || run.begins && run.ends {
            let message = take(run, from: &w, keeping: run.bytes <= maximumBytes)
            if run.bytes > maximumBytes, !run.ends { w.discarding = (run.end, stream) }
            return run.bytes <= maximumBytes ? .complete(message) : .broken
        }
        w.runs[run.start] = run
        w.startOfRunEndingAt[run.end] = run.start
        return .pending
    }

    /// A run's fragments out of `w` (in order when `keeping`), and out of the totals held.
    private mutating func take(_ run: Run, from w: inout Waiting, keeping: Bool) -> [UInt8] {
        let before = w.bytes
        let message = w.takeFragments(of: run, keeping: keeping)
        heldBytes -= before - w.bytes
        heldFragments -= Int(run.end &- run.start) + 1
        return message
    }

    /// Gives up whole runs until all directions together hold at most half the caps: those
    /// furthest behind their direction's newest TSN first, across every direction (one sort of
    /// every run held, so a flood of directions costs no more per run than one direction does,
    /// and a message still arriving is given up after the stale pieces around it); returns how
    /// many runs went.
    private mutating func makeRoom() -> Int {
        guard heldFragments > maximumFragments || heldBytes > maximumWaitingBytes else { return 0 }
        var all: [(key: FlowKey, run: Run, age: UInt32)] = []
        all.reserveCapacity(waiting.values.reduce(0) { $0 + $1.runs.count })
        for (key, w) in waiting {
            for run in w.runs.values { all.append((key, run, w.newest &- run.end)) }
        }
        // Equally old (a flood of new directions, each run its direction's newest): the
        // smaller first, so that a long message arriving is the last to go.
        all.sort { ($0.age, $1.run.bytes) > ($1.age, $0.run.bytes) }
        var given = 0
        for victim in all where heldFragments > maximumFragments / 2 || heldBytes > maximumWaitingBytes / 2 {
            guard var w = waiting.removeValue(forKey: victim.key) else { continue }
            w.remove(victim.run)
            _ = take(victim.run, from: &w, keeping: false)
            given += 1
            if !w.fragments.isEmpty || w.discarding != nil { waiting[victim.key] = w }
        }
        return given
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

    /// Forgets everything; returns how many runs of fragments were still waiting (each a
    /// message, or the part of one, that never completed).
    mutating func removeAll() -> Int {
        seenTSNs.removeAll()
        let n = waiting.values.reduce(0) { $0 + $1.runs.count }
        waiting.removeAll()
        heldFragments = 0
        heldBytes = 0
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
