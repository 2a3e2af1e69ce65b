/// One direction of a TCP connection.
struct TCPFlowKey: Hashable {
    var source: Endpoint
    var destination: Endpoint
}

/// Per-direction TCP stream reassembly. In-order data goes out at once as a slice of the
/// frame; retransmitted bytes are dropped; data beyond a gap is copied and held until the
/// gap fills, or given up on (with `discontinuity`) once too much is held. A direction whose
/// FIN has been reached stays known as closed, so that a late retransmission of its last
/// bytes is dropped rather than taken for a new stream; the least recently used go first
/// when the table is full. Sequence numbers are compared as signed 32-bit distances, so
/// wrap-around at 2^32 is free.
struct TCPReassembler {
    struct Held {
        var sequence: UInt32
        var bytes: [UInt8]
        var timestamp: Timestamp
        var frameNumber: Int
    }

    struct Direction {
        /// The sequence number of the next byte to deliver.
        var nextSequence: UInt32
        /// Segments beyond a gap, sorted by distance from `nextSequence`.
        var held: [Held] = []
        var heldBytes = 0
        /// Sequence number just past the last data byte, once a FIN announced it.
        var finSequence: UInt32?
        /// Set when bytes before the next delivered ones were lost or never seen.
        var discontinuity: Bool
        var lastUse: UInt64
        /// The first data sequence number announced by a SYN, to recognise repeats of it.
        var synDataSequence: UInt32?
        /// Every byte up to the FIN has gone out: only retransmissions can follow.
        var closed = false
    }

    enum Flags {
        static let fin: UInt8 = 0x01
        static let syn: UInt8 = 0x02
        static let rst: UInt8 = 0x04
    }

    private(set) var flows: [TCPFlowKey: Direction] = [:]
    private var closedFlows = 0
    private var clock: UInt64 = 0
    let maximumHeldBytes: Int
    let maximumHeldSegments: Int
    let maximumFlows: Int
    /// Whether to emit an empty segment with `endsConnection` as each direction ends.
    let reportsEnds: Bool

    init(limits: NetworkLimits, reportsEnds: Bool = false) {
        maximumHeldBytes = max(0, limits.maximumTCPBufferedBytes)
        maximumHeldSegments = max(1, limits.maximumTCPHeldSegments)
        maximumFlows = max(1, limits.maximumTCPFlows)
        self.reportsEnds = reportsEnds
    }

    /// Directions still open (closed ones are remembered too, up to the table's size).
    var openFlowCount: Int { flows.count - closedFlows }

    @inline(__always) static func distance(_ from: UInt32, to: UInt32) -> Int {
        Int(Int32(bitPattern: to &- from))
    }

    /// Takes one segment. Returns false when it brought nothing new (bare ACK,
    /// retransmission), which the caller counts as ignored.
    mutating func add(
        key: TCPFlowKey, sequence: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer,
        context: FrameContext, _ emit: SegmentSink
    ) -> Bool {
        clock &+= 1
        var dataSequence = sequence
        if flags & Flags.syn != 0 {
            // SYN takes one sequence number; data (TCP Fast Open) follows it.
            dataSequence = sequence &+ 1
            if let index = flows.index(forKey: key) {
                let existing = flows.values[index]
                // A repeated SYN (retransmitted, or captured twice) changes nothing.
                if existing.synDataSequence != dataSequence, existing.nextSequence != dataSequence {
                    // Same addresses, new initial sequence: a new connection replaced the old
                    // one, which lost bytes unless it had ended.
                    var old = removeFlow(at: index)
                    Self.flushHeld(&old, key: key, emit)
                    if !old.closed { reportEnd(of: key, context, emit) }
                    insert(key, Direction(
                        nextSequence: dataSequence, discontinuity: !old.closed, lastUse: clock,
                        synDataSequence: dataSequence), context, emit)
                }
            } else {
                insert(key, Direction(
                    nextSequence: dataSequence, discontinuity: false, lastUse: clock, synDataSequence: dataSequence),
                       context, emit)
            }
        }
        let closing = flags & (Flags.fin | Flags.rst) != 0
        guard let index = flows.index(forKey: key) else {
            if flags & Flags.rst != 0 { dropReverse(of: key, context, emit) }
            guard payload.count > 0 else { return false }
            // Picked up mid-stream: start at the first data seen; what came before is unknown.
            insert(key, Direction(nextSequence: dataSequence, discontinuity: true, lastUse: clock), context, emit)
            guard let created = flows.index(forKey: key) else { return false }
            return process(at: created, key: key, dataSequence, flags, payload, context, emit)
        }
        guard payload.count > 0 || closing else { return false }
        if flows.values[index].closed, payload.count > 0,
           !Self.isRetransmission(offset: Self.distance(flows.values[index].nextSequence, to: dataSequence),
                                  length: payload.count) {
            // Bytes past the end of a closed stream, or far before it: a new connection whose
            // SYN was not seen (its first sequence number is anywhere).
            removeFlow(at: index)
            insert(key, Direction(nextSequence: dataSequence, discontinuity: true, lastUse: clock), context, emit)
            guard let reopened = flows.index(forKey: key) else { return false }
            return process(at: reopened, key: key, dataSequence, flags, payload, context, emit)
        }
        return process(at: index, key: key, dataSequence, flags, payload, context, emit)
    }

    private mutating func process(
        at index: Dictionary<TCPFlowKey, Direction>.Index, key: TCPFlowKey, _ sequence: UInt32, _ flags: UInt8,
        _ payload: UnsafeRawBufferPointer, _ context: FrameContext, _ emit: SegmentSink
    ) -> Bool {
        let maximumHeld = maximumHeldBytes, maximumSegments = maximumHeldSegments
        let useful = Self.accept(
            &flows.values[index], key: key, sequence, payload, context, now: clock, maximumHeld: maximumHeld,
            maximumSegments: maximumSegments, emit)
        if flags & Flags.rst != 0 {
            // A reset ends the connection both ways.
            var gone = removeFlow(at: index)
            Self.flushHeld(&gone, key: key, emit)
            if !gone.closed { reportEnd(of: key, context, emit) }
            dropReverse(of: key, context, emit)
            return useful
        }
        if flags & Flags.fin != 0 {
            flows.values[index].finSequence = sequence &+ UInt32(truncatingIfNeeded: payload.count)
        }
        let direction = flows.values[index]
        if !direction.closed, let fin = direction.finSequence, direction.held.isEmpty,
           Self.distance(direction.nextSequence, to: fin) <= 0
        {
            flows.values[index].closed = true
            closedFlows += 1
            reportEnd(of: key, context, emit)
        }
        return useful
    }

    private mutating func dropReverse(of key: TCPFlowKey, _ context: FrameContext, _ emit: SegmentSink) {
        let reverse = TCPFlowKey(source: key.destination, destination: key.source)
        if let index = flows.index(forKey: reverse) {
            var other = removeFlow(at: index)
            Self.flushHeld(&other, key: reverse, emit)
            if !other.closed { reportEnd(of: reverse, context, emit) }
        }
    }

    /// The empty segment that tells the framing above that a direction ended.
    private func reportEnd(of key: TCPFlowKey, _ context: FrameContext, _ emit: SegmentSink) {
        guard reportsEnds else { return }
        var end = TransportSegment(
            source: key.source, destination: key.destination, transportProtocol: .tcp,
            payload: UnsafeRawBufferPointer(start: nil, count: 0), timestamp: context.timestamp,
            frameNumber: context.frameNumber)
        end.endsConnection = true
        emit(end)
    }

    /// Bytes at `offset` from a closed stream's end that it sent before: they end at or before
    /// the end, and start within its last 64 KiB (what is sent again after a FIN is the last
    /// segment or few; a new connection's first sequence number falls there once in 65,536).
    private static func isRetransmission(offset: Int, length: Int) -> Bool {
        offset &+ length <= 0 && offset >= -(1 << 16)
    }

    @discardableResult
    private mutating func removeFlow(at index: Dictionary<TCPFlowKey, Direction>.Index) -> Direction {
        let gone = flows.remove(at: index).value
        if gone.closed { closedFlows -= 1 }
        return gone
    }

    /// Places one segment's bytes: delivered, dropped as old, or held beyond a gap.
    private static func accept(
        _ direction: inout Direction, key: TCPFlowKey, _ sequence: UInt32, _ payload: UnsafeRawBufferPointer,
        _ context: FrameContext, now: UInt64, maximumHeld: Int, maximumSegments: Int, _ emit: SegmentSink
    ) -> Bool {
        direction.lastUse = now
        let length = payload.count
        guard length > 0 else { return false }
        let offset = distance(direction.nextSequence, to: sequence)
        if offset &+ length <= 0 { return false }  // all of it delivered before
        if offset <= 0 {
            let fresh = payload.dropping(-offset)
            deliver(&direction, key: key, fresh, context.timestamp, context.frameNumber, context.offsetInFrame(fresh), emit)
            releaseHeld(&direction, key: key, emit)
            return true
        }
        hold(&direction, sequence, payload, context)
        while direction.heldBytes > maximumHeld || direction.held.count > maximumSegments, let first = direction.held.first {
            // The gap is not going to fill in time: skip it.
            direction.nextSequence = first.sequence
            direction.discontinuity = true
            releaseHeld(&direction, key: key, emit)
        }
        return true
    }

    private static func hold(
        _ direction: inout Direction, _ sequence: UInt32, _ payload: UnsafeRawBufferPointer, _ context: FrameContext
    ) {
        let offset = distance(direction.nextSequence, to: sequence)
        // The first held segment at or past `offset`, by halving (segments held are sorted).
        var low = 0, high = direction.held.count
        while low < high {
            let middle = (low + high) / 2
            if distance(direction.nextSequence, to: direction.held[middle].sequence) < offset { low = middle + 1 } else { high = middle }
        }
        var position = low
        while position < direction.held.count, distance(direction.nextSequence, to: direction.held[position].sequence) == offset {
            // A repeat of something already held adds nothing.
            if direction.held[position].bytes.count >= payload.count { return }
            position += 1
        }
        direction.held.insert(
            Held(sequence: sequence, bytes: [UInt8](payload), timestamp: context.timestamp,
                 frameNumber: context.frameNumber),
            at: position)
        direction.heldBytes &+= payload.count
    }

    /// Delivers held segments that the stream has now reached, trimming what overlaps. They
    /// leave the list together: one at a time from its front, thousands of small segments held
    /// behind one gap took time in the square of their number.
    private static func releaseHeld(_ direction: inout Direction, key: TCPFlowKey, _ emit: SegmentSink) {
        var released = 0
        while released < direction.held.count {
            let next = direction.held[released]
            let offset = distance(direction.nextSequence, to: next.sequence)
            if offset > 0 { break }
            released += 1
            direction.heldBytes &-= next.bytes.count
            let skip = -offset
            guard skip < next.bytes.count else { continue }
            next.bytes.withUnsafeBytes { bytes in
                deliver(&direction, key: key, bytes.dropping(skip), next.timestamp, next.frameNumber, nil, emit)
            }
        }
        if released > 0 { direction.held.removeFirst(released) }
    }

    @inline(__always) private static func deliver(
        _ direction: inout Direction, key: TCPFlowKey, _ bytes: UnsafeRawBufferPointer, _ timestamp: Timestamp,
        _ frameNumber: Int, _ offsetInFrame: Int?, _ emit: SegmentSink
    ) {
        emit(TransportSegment(
            source: key.source, destination: key.destination, transportProtocol: .tcp, payload: bytes,
            timestamp: timestamp, frameNumber: frameNumber, discontinuity: direction.discontinuity,
            payloadOffsetInFrame: offsetInFrame))
        direction.discontinuity = false
        direction.nextSequence &+= UInt32(truncatingIfNeeded: bytes.count)
    }

    /// Delivers everything held, skipping the gaps in front of it.
    private static func flushHeld(_ direction: inout Direction, key: TCPFlowKey, _ emit: SegmentSink) {
        while let first = direction.held.first {
            if distance(direction.nextSequence, to: first.sequence) > 0 {
                direction.nextSequence = first.sequence
                direction.discontinuity = true
            }
            releaseHeld(&direction, key: key, emit)
        }
    }

    /// Called at the end of the input.
    mutating func flushAll(_ emit: SegmentSink) {
        // Oldest first, so that output order does not depend on hashing.
        let keys = flows.filter { !$0.value.held.isEmpty }.sorted { $0.value.lastUse < $1.value.lastUse }.map(\.key)
        for key in keys {
            guard var direction = flows.removeValue(forKey: key) else { continue }
            Self.flushHeld(&direction, key: key, emit)
        }
        flows.removeAll()
        closedFlows = 0
    }

    /// Adds a direction, first making room by dropping the least recently used eighth of the
    /// table (their held data is delivered, marked discontinuous), so eviction stays cheap
    /// when a capture has many short connections. Closed directions go before open ones: a
    /// connection idle while thousands of short ones come and go is still going.
    private mutating func insert(_ key: TCPFlowKey, _ direction: Direction, _ context: FrameContext, _ emit: SegmentSink) {
        if flows.count >= maximumFlows {
            let victims = flows.sorted { ($0.value.closed ? 0 : 1, $0.value.lastUse) < ($1.value.closed ? 0 : 1, $1.value.lastUse) }
                .prefix(max(1, maximumFlows / 8)).map(\.key)
            for victim in victims {
                guard let index = flows.index(forKey: victim) else { continue }
                var old = removeFlow(at: index)
                Self.flushHeld(&old, key: victim, emit)
                if !old.closed { reportEnd(of: victim, context, emit) }
            }
        }
        flows[key] = direction
    }
}

extension NetworkDissector {
    /// TCP (RFC 9293): header length from the data offset; the bytes go to the reassembler.
    mutating func decodeTCP(
        _ source: IPAddress, _ destination: IPAddress, _ segment: UnsafeRawBufferPointer,
        _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard segment.count >= 20 else { return counters.countMalformed("short tcp header") }
        let headerLength = Int(segment[12] >> 4) &* 4
        guard headerLength >= 20 else { return counters.countMalformed("bad tcp header length") }
        guard headerLength <= segment.count else { return counters.countMalformed("short tcp header") }
        let key = TCPFlowKey(
            source: Endpoint(address: source, port: segment.be16(0)),
            destination: Endpoint(address: destination, port: segment.be16(2)))
        let useful = tcp.add(
            key: key, sequence: segment.be32(4), flags: segment[13], payload: segment.dropping(headerLength),
            context: context, emit)
        if !useful { counters.ignored += 1 }
    }
}
