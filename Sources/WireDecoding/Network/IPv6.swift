extension NetworkDissector {
    /// IPv6 (RFC 8200): fixed 40-byte header, payload length trims link padding, then the
    /// extension header chain.
    mutating func decodeIPv6(
        _ packet: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard packet.count >= 40 else { return counters.countMalformed("short ipv6 header") }
        guard packet[0] >> 4 == 6 else { return counters.countMalformed("bad ipv6 version") }
        var payloadLength = Int(packet.be16(4))
        // 0 means a jumbogram or an offloaded oversized packet: take what was captured.
        if payloadLength == 0 { payloadLength = packet.count &- 40 }
        guard 40 &+ payloadLength <= packet.count else { return counters.countMalformed("truncated ipv6 packet") }
        let source = IPAddress.v6(high: packet.be64(8), low: packet.be64(16))
        let destination = IPAddress.v6(high: packet.be64(24), low: packet.be64(32))
        decodeIPv6Chain(
            packet[6], source, destination, packet.slice(40..<(40 &+ payloadLength)),
            depth: depth, context, &counters, emit)
    }

    /// Walks extension headers starting with `next` until an upper-layer protocol.
    /// Every step consumes at least 8 bytes, so the walk ends.
    mutating func decodeIPv6Chain(
        _ next: UInt8, _ source: IPAddress, _ destination: IPAddress, _ payload: UnsafeRawBufferPointer,
        depth: Int, _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        var next = next
        var rest = payload
        while true {
            switch next {
            case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions:
                guard rest.count >= 8 else { return counters.countMalformed("short ipv6 extension header") }
                let size = (Int(rest[1]) &+ 1) &* 8
                guard size <= rest.count else { return counters.countMalformed("short ipv6 extension header") }
                next = rest[0]
                rest = rest.dropping(size)
            case IPProtocol.authentication:
                guard rest.count >= 8 else { return counters.countMalformed("short ipv6 extension header") }
                let size = (Int(rest[1]) &+ 2) &* 4
                guard size <= rest.count else { return counters.countMalformed("short ipv6 extension header") }
                next = rest[0]
                rest = rest.dropping(size)
            case IPProtocol.fragment:
                guard rest.count >= 8 else { return counters.countMalformed("short ipv6 fragment header") }
                let inner = rest[0]
                let field = rest.be16(2)
                let offset = Int(field & 0xfff8)
                let more = field & 1 != 0
                let identification = rest.be32(4)
                let piece = rest.dropping(8)
                if offset == 0, !more {
                    // An atomic fragment (RFC 6946): a whole datagram behind a fragment header.
                    next = inner
                    rest = piece
                    continue
                }
                let key = FragmentKey(
                    source: source, destination: destination, identification: identification, protocolNumber: 0)
                return reassemble(
                    key, offset: offset, piece, moreFragments: more,
                    protocolNumber: offset == 0 ? inner : nil,
                    limit: limits.maximumIPv6ReassemblyBytes, depth: depth, context, &counters, emit)
            case IPProtocol.noNextHeader:
                return counters.ignored += 1
            default:
                return decodeIPPayload(next, source, destination, rest, depth: depth, context, &counters, emit)
            }
        }
    }
}
