/// The whole decoding path for one input: capture frames (or received HEP datagrams and
/// stream bytes) in, SIP messages and HEP events out, with every skipped packet counted.
///
/// A class because the network dissector calls back into per-flow framing state while it is
/// itself being mutated; separate stored properties of a class may be accessed that way.
/// Not thread-safe: one thread uses it at a time (a loader may hand it to another thread).
public final class TraceDecoder: @unchecked Sendable {
    /// Everything counted so far, by this decoder and by the network layer below it.
    public var counters: DecodeCounters {
        var all = ownCounters
        all.add(networkCounters)
        return all
    }
    // Two sets, because the network layer updates its own while calling back into this object.
    // The state below is touched several times per packet. One thread uses a decoder at a time
    // and the accesses that overlap (the dissector's, while it calls back into `handle`) are to
    // different properties, so the runtime's exclusivity bookkeeping is turned off for them.
    @exclusivity(unchecked) private var ownCounters = DecodeCounters()
    @exclusivity(unchecked) private var networkCounters = DecodeCounters()
    @exclusivity(unchecked) private var network = NetworkDissector(reportsConnectionEnds: true)
    /// Interfaces after the first (pcapng): reassembly of their own, so that a connection
    /// captured on two interfaces is not taken for one stream with every segment sent twice.
    @exclusivity(unchecked) private var otherNetworks: [NetworkDissector] = []
    /// The interface of the frame being decoded.
    @exclusivity(unchecked) private var interface = 0
    /// Interfaces with reassembly of their own; frames of later ones share the last (a TCP
    /// connection seen on two of those is then taken as one stream again: copies are dropped).
    static let separateInterfaces = 16
    /// Per TCP direction: what the stream carries, and its framer.
    @exclusivity(unchecked) private var streams: [FlowKey: StreamState] = [:]
    /// SIP inside HEP with a stream transport: sniffers send raw segments, split them per flow.
    @exclusivity(unchecked) private var hepInnerStreams: [FlowKey: StreamFramer] = [:]
    /// HEPv1/v2 have a weak signature: only believed on this port (either direction).
    /// Set before decoding starts, then read for every packet (unchecked, as the state above).
    @exclusivity(unchecked) public var hepV1V2Port: UInt16 = 9060
    /// When set, HEPv3 packets whose auth key differs are dropped and counted.
    @exclusivity(unchecked) public var requiredAuthKey: [UInt8]?
    /// Stream state kept at most for this many directions; the least recently used are dropped.
    public static let maximumStreams = 100_000
    @exclusivity(unchecked) private var streamClock: UInt64 = 0

    public init() {}

    // MARK: inputs

    /// Decodes one captured frame.
    public func decode(frame: CaptureFrame, _ emit: (DecodedMessage) -> Void) {
        ownCounters.packets += 1
        ownCounters.bytes += frame.data.count
        let frameOffset = frame.dataOffset
        let comment = frame.comment
        // The decoder outlives this call: no reference counting of it per segment.
        let sink: (TransportSegment) -> Void = { [unowned(unsafe) self] segment in
            let base = segment.payloadOffsetInFrame.map { frameOffset + $0 }
            if let comment {
                self.handle(segment, inputOffset: base) { m in
                    var withComment = m
                    withComment.frameComment = comment
                    emit(withComment)
                }
            } else {
                self.handle(segment, inputOffset: base, emit)
            }
        }
        interface = min(max(frame.interfaceID, 0), TraceDecoder.separateInterfaces - 1)
        if interface == 0 {
            network.dissect(linkType: frame.linkType, frame: frame.data, timestamp: frame.timestamp,
                            frameNumber: frame.frameNumber, counters: &networkCounters, emit: sink)
        } else {
            while otherNetworks.count < interface { otherNetworks.append(NetworkDissector(reportsConnectionEnds: true)) }
            otherNetworks[interface - 1].dissect(linkType: frame.linkType, frame: frame.data, timestamp: frame.timestamp,
                                                 frameNumber: frame.frameNumber, counters: &networkCounters, emit: sink)
        }
    }

    /// Decodes one HEP datagram received live (UDP listener).
    public func decode(datagram: UnsafeRawBufferPointer, from: Endpoint, to: Endpoint,
                       receivedAt: Timestamp, number: Int, _ emit: (DecodedMessage) -> Void) {
        ownCounters.packets += 1
        ownCounters.bytes += datagram.count
        guard HEPDecoder.looksLikeHEP(datagram, allowV1V2: true) else {
            ownCounters.countMalformed("not a HEP packet")
            return
        }
        decodeHEP(datagram, outerSource: from, outerDestination: to, time: receivedAt,
                  frameNumber: number, inputOffset: nil, emit)
    }

    /// Decodes one HEP message framed from a live TCP/TLS stream.
    public func decode(hepMessage: UnsafeRawBufferPointer, from: Endpoint, to: Endpoint,
                       receivedAt: Timestamp, number: Int, _ emit: (DecodedMessage) -> Void) {
        ownCounters.packets += 1
        ownCounters.bytes += hepMessage.count
        decodeHEP(hepMessage, outerSource: from, outerDestination: to, time: receivedAt,
                  frameNumber: number, inputOffset: nil, emit)
    }

    /// Flushes data held back by TCP reassembly at the end of the input.
    public func finish(_ emit: (DecodedMessage) -> Void) {
        interface = 0
        network.finish(counters: &networkCounters) { segment in
            self.handle(segment, inputOffset: nil, emit)
        }
        for i in otherNetworks.indices {
            interface = i + 1
            otherNetworks[i].finish(counters: &networkCounters) { segment in
                self.handle(segment, inputOffset: nil, emit)
            }
        }
        interface = 0
        for (_, state) in streams where state.hasPartialMessage {
            ownCounters.countMalformed("incomplete message at end of stream")
        }
    }

    /// Records a problem found before decoding (a stream listener's framing error, say).
    public func countMalformed(_ reason: String) { ownCounters.countMalformed(reason) }

    /// Records good input deliberately discarded before decoding.
    public func countDropped(_ reason: String, _ n: Int = 1) { ownCounters.countDropped(reason, n) }

    /// Counts bytes that arrived but were not framed into packets (a connection that closed
    /// mid-message).
    public func countBytes(_ n: Int) { ownCounters.bytes += n }

    // MARK: segments

    private func handle(_ seg: TransportSegment, inputOffset: Int?, _ emit: (DecodedMessage) -> Void) {
        let p = seg.payload
        switch seg.transportProtocol {
        case .udp:
            if HEPDecoder.looksLikeHEP(p, allowV1V2: seg.source.port == hepV1V2Port || seg.destination.port == hepV1V2Port) {
                decodeHEP(p, outerSource: seg.source, outerDestination: seg.destination, time: seg.timestamp,
                          frameNumber: seg.frameNumber, inputOffset: inputOffset, emit)
            } else {
                datagramSIP(p, seg, transport: .udp, inputOffset: inputOffset, emit)
            }
        case .sctp:
            datagramSIP(p, seg, transport: .sctp, inputOffset: inputOffset, emit)
        case .tcp:
            streamBytes(seg, inputOffset: inputOffset, emit)
        }
    }

    private func datagramSIP(_ p: UnsafeRawBufferPointer, _ seg: TransportSegment, transport: SIPTransport,
                             inputOffset: Int?, _ emit: (DecodedMessage) -> Void) {
        // Skip keep-alive CRLFs and NAT pings before deciding.
        var start = 0
        while start < p.count, p[start] == 13 || p[start] == 10 || p[start] == 0 { start += 1 }
        let body = p.dropping(start)
        if body.isEmpty { ownCounters.ignored += 1; return }
        switch SIPParser.parse(body) {
        case .message(let index):
            ownCounters.sipMessages += 1
            emit(DecodedMessage(
                timestamp: seg.timestamp, captureTime: seg.timestamp, source: seg.source,
                destination: seg.destination, transport: transport, payloadType: HEPPayloadType.sip,
                payload: body.slice(0..<index.length), sip: index, hep: nil, frameNumber: seg.frameNumber,
                payloadInputOffset: inputOffset.map { $0 + start }))
        case .notSIP, .incomplete:
            ownCounters.ignored += 1
        case .malformed(let why):
            ownCounters.countMalformed(why)
        }
    }

    private func streamBytes(_ seg: TransportSegment, inputOffset: Int?, _ emit: (DecodedMessage) -> Void) {
        let key = FlowKey(seg.source, seg.destination, interface: interface)
        if seg.endsConnection {
            // What the stream kept goes: the next connection on these addresses starts afresh.
            if let old = streams.removeValue(forKey: key), old.hasPartialMessage {
                ownCounters.countMalformed("incomplete message at end of stream")
            }
            return
        }
        streamClock &+= 1
        if streams[key] == nil {
            let kind = StreamState.classify(seg.payload)
                ?? (StreamState.mayStillStart(seg.payload) ? .undetermined : nil)
            // Some other protocol, or a stream picked up in the middle of a message: its
            // segments are looked at again until one starts something known.
            guard let kind else { ownCounters.ignored += 1; return }
            if streams.count >= TraceDecoder.maximumStreams { dropLeastUsedStreams() }
            streams[key] = StreamState(kind: kind)
        }
        streams[key]!.lastUse = streamClock
        let offsetBase = inputOffset
        let payloadStart = seg.payload.baseAddress
        var unrecognised = false
        streams[key]!.feed(seg.payload, discontinuity: seg.discontinuity) { piece in
            switch piece {
            case .sip(let bytes, let index):
                let offset: Int? = (offsetBase != nil && payloadStart != nil && bytes.baseAddress != nil
                    && bytes.baseAddress! >= payloadStart! && bytes.baseAddress! < payloadStart! + seg.payload.count)
                    ? offsetBase! + (bytes.baseAddress! - payloadStart!) : nil
                ownCounters.sipMessages += 1
                emit(DecodedMessage(
                    timestamp: seg.timestamp, captureTime: seg.timestamp, source: seg.source,
                    destination: seg.destination, transport: piece.transport, payloadType: HEPPayloadType.sip,
                    payload: bytes, sip: index, hep: nil, frameNumber: seg.frameNumber, payloadInputOffset: offset))
            case .webSocketMessage(let bytes):
                switch SIPParser.parse(bytes) {
                case .message(let index):
                    ownCounters.sipMessages += 1
                    emit(DecodedMessage(
                        timestamp: seg.timestamp, captureTime: seg.timestamp, source: seg.source,
                        destination: seg.destination, transport: .ws, payloadType: HEPPayloadType.sip,
                        payload: bytes.slice(0..<index.length), sip: index, hep: nil,
                        frameNumber: seg.frameNumber, payloadInputOffset: nil))
                case .malformed(let why): ownCounters.countMalformed(why)
                case .notSIP, .incomplete: ownCounters.ignored += 1
                }
            case .hep(let bytes):
                decodeHEP(bytes, outerSource: seg.source, outerDestination: seg.destination, time: seg.timestamp,
                          frameNumber: seg.frameNumber, inputOffset: nil, emit)
            case .garbage(let why):
                ownCounters.countMalformed(why)
            case .unrecognised:
                unrecognised = true
            }
        }
        if unrecognised {
            streams[key] = nil
            ownCounters.ignored += 1
        }
    }

    /// Makes room in the stream table by dropping its least recently used eighth: with many
    /// short connections in a capture, the ones still going are the ones recently used.
    private func dropLeastUsedStreams() {
        let victims = streams.sorted { $0.value.lastUse < $1.value.lastUse }
            .prefix(max(1, TraceDecoder.maximumStreams / 8)).map(\.key)
        for key in victims { streams[key] = nil }
    }

    // MARK: HEP

    private func decodeHEP(_ bytes: UnsafeRawBufferPointer, outerSource: Endpoint, outerDestination: Endpoint,
                           time: Timestamp, frameNumber: Int, inputOffset: Int?,
                           _ emit: (DecodedMessage) -> Void) {
        var packet = HEPPacket(version: 0)
        do {
            try HEPDecoder.decode(bytes, into: &packet)
        } catch {
            ownCounters.countMalformed(error.reason)
            return
        }
        ownCounters.hepByVersion[Int(packet.version)] += 1
        if let key = requiredAuthKey {
            let sent = packet.authKey.map { Array(bytes.slice($0)) }
            guard sent == key else { ownCounters.countDropped("HEP auth key mismatch"); return }
        }
        let facts = HEPFacts(
            version: packet.version, captureID: packet.captureID, displayCaptureID: packet.displayCaptureID,
            ipProtocol: packet.ipProtocol, hepTimestamp: packet.timestamp,
            correlationID: packet.correlationID.map { bytes.slice($0) },
            nodeName: packet.nodeName.map { bytes.slice($0) },
            authKey: packet.authKey.map { bytes.slice($0) },
            outerSource: outerSource, outerDestination: outerDestination)
        let when = packet.timestamp ?? time
        let payloadOffset = (packet.inflatedPayload == nil) ? packet.payload.flatMap { r in inputOffset.map { $0 + r.lowerBound } } : nil
        // The closure takes these, not the packet (a packet has reference-counted parts).
        let source = packet.source, destination = packet.destination
        let transport = packet.transport, payloadType = packet.payloadType
        packet.withPayload(in: bytes) { payload in
            var message = DecodedMessage(
                timestamp: when, captureTime: time, source: source, destination: destination,
                transport: transport, payloadType: payloadType, payload: payload, sip: nil,
                hep: facts, frameNumber: frameNumber, payloadInputOffset: payloadOffset)
            guard payloadType == HEPPayloadType.sip else {
                ownCounters.otherEvents += 1
                emit(message)
                return
            }
            let isStream = transport == .tcp || transport == .tls
            if isStream {
                hepStreamSIP(payload, message: message, emit)
                return
            }
            let start = payload.leadingLineEnds()
            let body = payload.dropping(start)
            switch SIPParser.parse(body) {
            case .message(let index):
                message.payload = body.slice(0..<index.length)
                message.payloadInputOffset = payloadOffset.map { $0 + start }
                message.sip = index
                message.transport = refine(message.transport, body, index)
                ownCounters.sipMessages += 1
                emit(message)
            case .notSIP, .incomplete:
                ownCounters.countMalformed(body.isEmpty ? "HEP packet without payload" : "HEP payload type SIP is not SIP")
            case .malformed(let why):
                ownCounters.countMalformed(why)
            }
        }
    }

    /// Proxies put one whole SIP message in each HEP packet; sniffers put raw TCP segments. A
    /// payload that is exactly whole messages is used as is; anything else goes through a framer.
    private func hepStreamSIP(_ payload: UnsafeRawBufferPointer, message: DecodedMessage, _ emit: (DecodedMessage) -> Void) {
        let key = FlowKey(message.source, message.destination)
        // The common case (a proxy's HEP): exactly one whole message, nothing pending for the flow.
        if hepInnerStreams.isEmpty || hepInnerStreams[key] == nil {
            let start = payload.leadingLineEnds()
            let body = payload.dropping(start)
            if case .message(let index) = SIPParser.parse(body, isStream: true), index.length == body.count {
                var m = message
                m.payload = body
                m.sip = index
                m.transport = refine(m.transport, body, index)
                m.payloadInputOffset = message.payloadInputOffset.map { $0 + start }
                ownCounters.sipMessages += 1
                emit(m)
                return
            }
        }
        var framer = hepInnerStreams.removeValue(forKey: key) ?? StreamFramer()
        let base = payload.baseAddress
        framer.append(payload) { piece in
            switch piece {
            case .sip(let bytes, let index):
                var m = message
                m.payload = bytes
                m.sip = index
                m.transport = refine(m.transport, bytes, index)
                if let o = message.payloadInputOffset, let b = base, let s = bytes.baseAddress,
                   s >= b, s < b + payload.count {
                    m.payloadInputOffset = o + (s - b)
                } else {
                    m.payloadInputOffset = nil
                }
                ownCounters.sipMessages += 1
                emit(m)
            case .hep:
                ownCounters.countMalformed("HEP inside HEP")
            case .garbage(let why):
                ownCounters.countMalformed(why)
            }
        }
        if framer.pendingBytes > 0 {
            if hepInnerStreams.count >= TraceDecoder.maximumStreams { hepInnerStreams.removeAll(keepingCapacity: true) }
            hepInnerStreams[key] = framer
        }
    }

    /// HEP's IP-protocol 22 means "TLS, or WS/WSS" for Kamailio, 50 "WS/WSS" for OpenSIPS: the
    /// top Via names the real transport.
    private func refine(_ t: SIPTransport, _ bytes: UnsafeRawBufferPointer, _ index: SIPMessageIndex) -> SIPTransport {
        guard t == .tls || t == .ws, let r = index.viaTransport else { return t }
        let token = bytes.slice(r)
        if token.equalsLowercased("wss") { return .wss }
        if token.equalsLowercased("ws") { return .ws }
        if token.equalsLowercased("tls") { return .tls }
        return t
    }
}
