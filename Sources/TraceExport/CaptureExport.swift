import TraceModel
import WireDecoding

/// pcap and pcapng exports. Messages that came from a capture are written as their original
/// frames (for HEP input, the HEP packets themselves, so reopening gives the same groups with
/// their correlation ids); the rest, and those on a TCP connection partly saved, are written as
/// synthetic frames. `decapsulate` writes every
/// message as plain SIP over synthetic UDP/TCP frames instead, for tools that do not know HEP.
public enum CaptureExport {
    public enum Kind: Sendable { case pcap, pcapng }

    struct Item {
        var time: Timestamp
        var order: Int
        var linkType: UInt32
        var bytes: [UInt8]
        var comment: String?
        /// The frame's own comment in its capture (pcapng), kept beside ours.
        var originalComment: String? = nil
        /// Made up here (Ethernet) rather than read from a capture.
        var synthetic = false
    }

    public static func render(_ store: TraceStore, _ selection: ExportSelection, kind: Kind, decapsulate: Bool,
                              filterText: String? = nil) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        var items: [Item] = []
        var synthetic = SyntheticFrames()
        // Original frames wanted, per input: frame number -> packet comment; and which messages
        // each frame stands for, should it have to be written as the messages' own frames.
        var wanted: [UInt16: [UInt32: String?]] = [:]
        var messagesOfFrame: [UInt16: [UInt32: [Int32]]] = [:]
        var made: [Int32] = []
        for m in selection.messages {
            let r = store.messages[Int(m)]
            // Plain SIP frames have no place for a HEP log or RTCP report: left out, not made
            // into a datagram between port 0 and port 0.
            if decapsulate, !r.isSIP { continue }
            let o = store.origin(of: r)
            // A message from a capture goes out as its frame, unless it was put together from
            // several frames (IP fragments, SCTP chunks).
            let fromCapture = o.input != 0 && store.input(o.input) != nil
            let inOneFrame = r.payload.source != 0 || o.hepVersion != 0 || r.transport != .udp && r.transport != .sctp
            guard !decapsulate, fromCapture, inOneFrame else {
                made.append(m)
                continue
            }
            let comment = packetComment(store, m)
            for frame in framesInItsInput(store, m) {
                wanted[o.input, default: [:]][frame] = comment
                messagesOfFrame[o.input, default: [:]][frame, default: []].append(m)
            }
        }
        // A TCP connection shared with messages not saved (the other calls of a load test):
        // its messages go out as frames of their own, so that a call saved alone holds that
        // call only.
        var remade = Set<Int32>()
        var whole: [UInt16: Set<ConnectionKey>] = [:]
        if !wanted.isEmpty {
            // Worked out once, and only when some wanted frame travelled over TCP.
            var others: [UInt16: Set<UInt32>]?
            for (input, frames) in wanted {
                let split = try tcpConnections(store, input: input, wanted: frames) {
                    if others == nil { others = framesOfOtherMessages(store, selection) }
                    return others?[input] ?? []
                }
                whole[input] = split.whole
                for frame in split.sharedFrames { remade.formUnion(messagesOfFrame[input]?[frame] ?? []) }
            }
        }
        let remadeInOrder = remade.sorted()
        for m in remadeInOrder {
            let input = store.origin(of: store.messages[Int(m)]).input
            for frame in framesInItsInput(store, m) { wanted[input]?[frame] = nil }
        }
        for m in made + remadeInOrder {
            let r = store.messages[Int(m)]
            let o = store.origin(of: r)
            let comment = packetComment(store, m)
            store.withPayload(of: r) { payload in
                let bytes: [UInt8]
                if !decapsulate, o.hepVersion != 0 {
                    bytes = synthetic.hep(store, m, payload: Array(payload))
                } else {
                    bytes = synthetic.plain(store, r, payload: Array(payload))
                }
                items.append(Item(time: r.time, order: items.count, linkType: 1, bytes: bytes, comment: comment, synthetic: true))
                if !decapsulate, o.hepVersion != 0 {
                    for s in store.sightings(of: m) {
                        let so = store.origins[Int(s.origin)]
                        let again = synthetic.hep(store, m, payload: Array(payload), origin: so, time: s.time)
                        items.append(Item(time: s.time, order: items.count, linkType: 1, bytes: again, comment: comment, synthetic: true))
                    }
                }
            }
        }
        var inputComments: [String] = []
        for (input, frames) in wanted.sorted(by: { $0.key < $1.key }) where !frames.isEmpty {
            let comments = try originalFrames(store, input: input, frames: frames, connections: whole[input] ?? [], into: &items)
            inputComments += comments.filter { !inputComments.contains($0) }
        }
        items.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        switch kind {
        case .pcap:
            // One link type for the whole file: made-up frames take the captured frames' one.
            let captured = Set(items.filter { !$0.synthetic }.map(\.linkType))
            guard captured.count <= 1 else {
                throw ExportError("these messages come from captures with different link types "
                    + "(\(captured.sorted().map(String.init).joined(separator: ", "))): save as .pcapng")
            }
            let link = captured.first ?? 1
            for k in items.indices where items[k].synthetic && link != 1 {
                guard let framed = SyntheticFrames.relinked(items[k].bytes, to: link) else {
                    throw ExportError("some of these messages have no frame of their own, and frames of link type "
                        + "\(link) cannot be made for them: save as .pcapng")
                }
                items[k].bytes = framed
                items[k].linkType = link
            }
            // Nanosecond timestamps when any time has them (a nanosecond pcap, a pcapng with
            // if_tsresol 9, HEP): a microsecond file would cut them.
            var w = PcapWriter(linkType: link, nanosecond: items.contains { $0.time.nanoseconds % 1000 != 0 })
            for i in items { w.append(i.bytes, time: i.time) }
            return w.bytes
        case .pcapng:
            var fileComment = "hepscope: \(selection.messages.count) messages, \(selection.description)"
            if let filterText { fileComment += ", filter \(filterText)" }
            var w = PcapngWriter(comments: [fileComment] + inputComments)
            for i in items {
                w.append(i.bytes, linkType: i.linkType, time: i.time, comments: [i.comment, i.originalComment].compactMap { $0 })
            }
            return w.bytes
        }
    }

    /// "correlation id run-42; node edge; capture id 1", for pcapng packet comments.
    static func packetComment(_ store: TraceStore, _ m: Int32) -> String? {
        let r = store.messages[Int(m)]
        let o = store.origin(of: r)
        var parts: [String] = []
        if let c = store.correlationID(ofMessage: m) { parts.append("correlation id \(c)") }
        if o.node != 0 { parts.append("node \(store.strings.string(o.node))") }
        if o.hepVersion != 0 { parts.append("capture id \(o.captureID)") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Reads an input again and takes the wanted frames as they are, with every data frame of
    /// `connections` (a TCP message brings its connection along, so that the stream reassembles
    /// when the file is opened again: a message's earlier segments, a WebSocket handshake).
    /// Returns the input's own section comments (pcapng), to keep in the saved file.
    static func originalFrames(_ store: TraceStore, input: UInt16, frames: [UInt32: String?], connections: Set<ConnectionKey>,
                               into items: inout [Item]) throws(ExportError) -> [String] {
        guard let source = store.input(input) else { return [] }
        var failure: ExportError?
        var sectionComments: [String] = []
        source.withBytes { bytes in
            guard var reader = try? CaptureFileReader(bytes) else {
                failure = ExportError("cannot read the original capture again")
                return
            }
            while let f = reader.next() {
                let comment = frames[UInt32(truncatingIfNeeded: f.frameNumber)]
                guard comment != nil || !connections.isEmpty && tcpConnection(of: f).map(connections.contains) == true else { continue }
                items.append(Item(time: f.timestamp, order: items.count, linkType: f.linkType, bytes: Array(f.data), comment: comment ?? nil,
                                  originalComment: f.comment?.text))
            }
            sectionComments = reader.fileComments
        }
        if let failure { throw failure }
        return sectionComments
    }

    /// The frames of message `m` in its own input: its frame, and those of its sightings there
    /// (a frame number means nothing in another input).
    static func framesInItsInput(_ store: TraceStore, _ m: Int32) -> [UInt32] {
        let r = store.messages[Int(m)]
        let input = store.origin(of: r).input
        return [r.frame] + store.sightings(of: m).filter { store.origins[Int($0.origin)].input == input }.map(\.frame)
    }

    /// Per input, the frames that carry messages not selected (sightings included).
    static func framesOfOtherMessages(_ store: TraceStore, _ selection: ExportSelection) -> [UInt16: Set<UInt32>] {
        var selected = [Bool](repeating: false, count: store.messages.count)
        for m in selection.messages { selected[Int(m)] = true }
        var frames: [UInt16: Set<UInt32>] = [:]
        for (m, r) in store.messages.enumerated() where !selected[m] {
            let input = store.origin(of: r).input
            guard input != 0 else { continue }
            frames[input, default: []].formUnion(framesInItsInput(store, Int32(m)))
        }
        return frames
    }

    /// The TCP connections of the wanted frames, split in two: those that carry no message
    /// left out (`whole`: written with all their data frames), and the wanted frames of the
    /// others (`sharedFrames`: a load test's calls on one connection; their messages are
    /// written as frames of their own, so that a call saved alone holds that call only).
    static func tcpConnections(_ store: TraceStore, input: UInt16, wanted frames: [UInt32: String?], others: () -> Set<UInt32>)
        throws(ExportError) -> (whole: Set<ConnectionKey>, sharedFrames: [UInt32]) {
        guard let source = store.input(input) else { return ([], []) }
        var failure: ExportError?
        var wantedOn: [ConnectionKey: [UInt32]] = [:]
        var shared = Set<ConnectionKey>()
        source.withBytes { bytes in
            // First the wanted frames alone: most saves have no TCP in them, and the capture
            // need not be decoded a second time then.
            guard var reader = try? CaptureFileReader(bytes) else {
                failure = ExportError("cannot read the original capture again")
                return
            }
            while let f = reader.next() {
                let number = UInt32(truncatingIfNeeded: f.frameNumber)
                guard frames[number] != nil, let k = tcpConnection(of: f) else { continue }
                wantedOn[k, default: []].append(number)
            }
            guard !wantedOn.isEmpty, var again = try? CaptureFileReader(bytes) else { return }
            let left = others()
            // A wanted frame that also carries a message left out shares its connection.
            for (k, numbers) in wantedOn where numbers.contains(where: left.contains) { shared.insert(k) }
            while let f = again.next() {
                let number = UInt32(truncatingIfNeeded: f.frameNumber)
                guard frames[number] == nil, left.contains(number), let k = tcpConnection(of: f) else { continue }
                if wantedOn[k] != nil { shared.insert(k) }
            }
        }
        if let failure { throw failure }
        let whole = Set(wantedOn.keys).subtracting(shared)
        return (whole, shared.flatMap { wantedOn[$0] ?? [] })
    }

    /// Both directions of a TCP connection.
    struct ConnectionKey: Hashable {
        var a: Endpoint
        var b: Endpoint
        init(_ x: Endpoint, _ y: Endpoint) {
            (a, b) = x.description < y.description ? (x, y) : (y, x)
        }
    }

    /// The TCP connection a frame's data belongs to (nil for frames without TCP data).
    static func tcpConnection(of f: CaptureFrame) -> ConnectionKey? {
        var dissector = NetworkDissector()  // fresh: every frame is read on its own
        var counters = DecodeCounters()
        var key: ConnectionKey?
        dissector.dissect(linkType: f.linkType, frame: f.data, timestamp: f.timestamp, frameNumber: f.frameNumber,
                          counters: &counters) { seg in
            if seg.transportProtocol == .tcp, seg.payload.count > 0 { key = ConnectionKey(seg.source, seg.destination) }
        }
        return key
    }
}

/// Frames made up for messages that have no original frame (or when asked to decapsulate):
/// Ethernet, IPv4 or IPv6, and UDP or TCP with sequence numbers that continue per direction so
/// Wireshark follows the streams.
struct SyntheticFrames {
    private var nextSequence: [FlowKey: UInt32] = [:]
    private var nextTSN: [FlowKey: UInt32] = [:]

    mutating func plain(_ store: TraceStore, _ r: MessageRecord, payload: [UInt8]) -> [UInt8] {
        let src = store.endpoints[r.source], dst = store.endpoints[r.destination]
        switch r.transport {
        case .udp:
            return FrameBuilder.udp(from: src, to: dst, payload: payload)
        case .sctp:
            let key = FlowKey(src, dst)
            let tsn = nextTSN[key] ?? 1
            nextTSN[key] = tsn &+ 1
            return FrameBuilder.sctp(from: src, to: dst, tsn: tsn, streamSequence: UInt16(truncatingIfNeeded: tsn - 1), payload: payload)
        case .tcp, .tls, .ws, .wss:
            let key = FlowKey(src, dst)
            let seq = nextSequence[key] ?? 1
            nextSequence[key] = seq &+ UInt32(payload.count)
            return FrameBuilder.tcp(from: src, to: dst, sequence: seq, payload: payload)
        }
    }

    /// A made-up Ethernet frame given the link header of `linkType` instead, so that it can sit
    /// in one pcap file with captured frames of that type: raw IP (12, 14, 101, 228, 229), Linux
    /// cooked (113, 276), BSD loopback (0, 108). nil for any other link type.
    static func relinked(_ ethernet: [UInt8], to linkType: UInt32) -> [UInt8]? {
        guard ethernet.count > 14 else { return nil }
        let etherType = [ethernet[12], ethernet[13]]
        let ip = ethernet[14...]
        let isV4 = etherType == [0x08, 0x00]
        switch linkType {
        case 12, 14, 101: return Array(ip)
        case 228: return isV4 ? Array(ip) : nil
        case 229: return isV4 ? nil : Array(ip)
        case 113:
            // Sent by us (4), Ethernet hardware (1), six address bytes, two of padding.
            return [0, 4, 0, 1, 0, 6] + ethernet[6..<12] + [0, 0] + etherType + ip
        case 276:
            return etherType + [0, 0, 0, 0, 0, 1, 0, 1, 4, 6] + ethernet[6..<12] + [0, 0] + ip
        case 0, 108:
            // The address family in the writing host's order (0) or network order (108):
            // AF_INET 2; AF_INET6 as macOS numbers it (30), where such captures come from.
            let family: UInt32 = isV4 ? 2 : 30
            let word = linkType == 0 ? family.littleEndian : family.bigEndian
            return withUnsafeBytes(of: word) { Array($0) } + ip
        default:
            return nil
        }
    }

    /// The message as a HEPv3 packet in a UDP frame to port 9060, rebuilt from what was kept:
    /// addresses, time, protocol, capture id, node, correlation id and payload type.
    func hep(_ store: TraceStore, _ m: Int32, payload: [UInt8], origin: MessageOrigin? = nil, time: Timestamp? = nil) -> [UInt8] {
        let r = store.messages[Int(m)]
        let o = origin ?? store.origin(of: r)
        let src = store.endpoints[r.source], dst = store.endpoints[r.destination]
        let packet = HEPBuilder.sip(
            payload, from: src, to: dst, time: time ?? r.time, ipProtocol: o.ipProtocol == 0 ? 17 : o.ipProtocol,
            captureID: o.captureID, correlationID: store.correlationID(ofMessage: m), payloadType: r.payloadType,
            nodeName: o.node == 0 ? nil : store.strings.string(o.node))
        let collector = Endpoint(address: src.address.isV6 ? .v6(high: 0, low: 1) : .v4(0x7f00_0001), port: 9060)
        let agent = Endpoint(address: src.address, port: 9060)
        return FrameBuilder.udp(from: agent, to: collector, payload: packet)
    }
}
