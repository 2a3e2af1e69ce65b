/// IP protocol numbers this layer acts on.
enum IPProtocol {
    static let hopByHop: UInt8 = 0
    static let ipv4: UInt8 = 4
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
    static let ipv6: UInt8 = 41
    static let routing: UInt8 = 43
    static let fragment: UInt8 = 44
    static let gre: UInt8 = 47
    static let authentication: UInt8 = 51
    static let noNextHeader: UInt8 = 59
    static let destinationOptions: UInt8 = 60
    static let sctp: UInt8 = 132
}

extension NetworkDissector {
    /// IPv4 (RFC 791): header length from IHL, packet length from the total length field
    /// (which also cuts off Ethernet padding), fragments handed to the reassembler.
    mutating func decodeIPv4(
        _ packet: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard packet.count >= 20 else { return counters.countMalformed("short ipv4 header") }
        let b0 = packet[0]
        guard b0 >> 4 == 4 else { return counters.countMalformed("bad ipv4 version") }
        let headerLength = Int(b0 & 0x0f) &* 4
        guard headerLength >= 20 else { return counters.countMalformed("bad ipv4 header length") }
        guard headerLength <= packet.count else { return counters.countMalformed("short ipv4 header") }
        var totalLength = Int(packet.be16(2))
        // Segmentation offload hands the capture one oversized packet with length 0: the
        // captured bytes are all there is to go by.
        if totalLength == 0 { totalLength = packet.count }
        guard totalLength >= headerLength else { return counters.countMalformed("bad ipv4 total length") }
        guard totalLength <= packet.count else { return counters.countMalformed("truncated ipv4 packet") }

        let source = IPAddress.v4(packet.be32(12))
        let destination = IPAddress.v4(packet.be32(16))
        let proto = packet[9]
        let payload = packet.slice(headerLength..<totalLength)
        let fragmentField = packet.be16(6)
        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = Int(fragmentField & 0x1fff) &* 8

        guard moreFragments || fragmentOffset != 0 else {
            return decodeIPPayload(proto, source, destination, payload, depth: depth, context, &counters, emit)
        }
        let key = FragmentKey(
            source: source, destination: destination,
            identification: UInt32(packet.be16(4)), protocolNumber: proto)
        reassemble(
            key, offset: fragmentOffset, payload, moreFragments: moreFragments, protocolNumber: proto,
            limit: limits.maximumIPv4ReassemblyBytes, depth: depth, context, &counters, emit)
    }

    /// Feeds one fragment to the reassembler and, once the datagram is whole, decodes it.
    /// IPv6 datagrams may carry further extension headers, so they resume the header chain.
    mutating func reassemble(
        _ key: FragmentKey, offset: Int, _ piece: UnsafeRawBufferPointer, moreFragments: Bool,
        protocolNumber: UInt8?, limit: Int, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        var dropped = 0
        let outcome = fragments.add(
            key: key, offset: offset, bytes: piece, moreFragments: moreFragments,
            protocolNumber: protocolNumber, limit: limit, now: context.timestamp.nanoseconds, dropped: &dropped)
        for _ in 0..<dropped { counters.countMalformed("incomplete ip fragments") }
        switch outcome {
        case .pending:
            break
        case .rejected(let reason):
            counters.countMalformed(reason)
        case .complete(let datagram):
            // A reassembled IPv6 datagram may hold another fragment header: bound the nesting.
            guard depth < limits.maximumEncapsulationDepth else {
                return counters.countMalformed("encapsulation too deep")
            }
            datagram.payload.withUnsafeBytes { bytes in
                if key.source.isV6 {
                    decodeIPv6Chain(
                        datagram.protocolNumber, key.source, key.destination, bytes,
                        depth: depth &+ 1, context, &counters, emit)
                } else {
                    decodeIPPayload(
                        datagram.protocolNumber, key.source, key.destination, bytes,
                        depth: depth &+ 1, context, &counters, emit)
                }
            }
        }
    }

    /// The protocol inside an IP packet: a transport we deliver, or a tunnel to open.
    mutating func decodeIPPayload(
        _ proto: UInt8, _ source: IPAddress, _ destination: IPAddress, _ payload: UnsafeRawBufferPointer,
        depth: Int, _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        switch proto {
        case IPProtocol.udp:
            decodeUDP(source, destination, payload, depth: depth, context, &counters, emit)
        case IPProtocol.tcp:
            decodeTCP(source, destination, payload, context, &counters, emit)
        case IPProtocol.sctp:
            decodeSCTP(source, destination, payload, context, &counters, emit)
        case IPProtocol.ipv4, IPProtocol.ipv6, IPProtocol.gre:
            guard depth < limits.maximumEncapsulationDepth else {
                return counters.countMalformed("encapsulation too deep")
            }
            switch proto {
            case IPProtocol.ipv4: decodeIPv4(payload, depth: depth &+ 1, context, &counters, emit)
            case IPProtocol.ipv6: decodeIPv6(payload, depth: depth &+ 1, context, &counters, emit)
            default: decodeGRE(payload, depth: depth &+ 1, context, &counters, emit)
            }
        default:
            counters.ignored += 1  // ICMP, ESP, OSPF ...
        }
    }
}
