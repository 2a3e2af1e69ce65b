extension NetworkDissector {
    static let vxlanPort: UInt16 = 4789

    /// UDP (RFC 768): the length field counts the 8-byte header; the smaller of it and the IP
    /// payload wins, since either may have been cut. VXLAN (RFC 7348) carries inner Ethernet.
    mutating func decodeUDP(
        _ source: IPAddress, _ destination: IPAddress, _ datagram: UnsafeRawBufferPointer,
        depth: Int, _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard datagram.count >= 8 else { return counters.countMalformed("short udp header") }
        let sourcePort = datagram.be16(0)
        let destinationPort = datagram.be16(2)
        var length = Int(datagram.be16(4))
        // 0 is what offloaded oversized datagrams carry; the IP length then rules.
        if length == 0 { length = datagram.count }
        guard length >= 8 else { return counters.countMalformed("bad udp length") }
        let payload = datagram.slice(8..<min(length, datagram.count))

        if destinationPort == Self.vxlanPort || sourcePort == Self.vxlanPort,
           payload.count >= 8 + 14, payload[0] & 0x08 != 0
        {
            guard depth < limits.maximumEncapsulationDepth else {
                return counters.countMalformed("encapsulation too deep")
            }
            return decodeEthernet(payload.dropping(8), depth: depth &+ 1, context, &counters, emit)
        }
        guard payload.count > 0 else { return counters.ignored += 1 }
        emit(TransportSegment(
            source: Endpoint(address: source, port: sourcePort),
            destination: Endpoint(address: destination, port: destinationPort),
            transportProtocol: .udp, payload: payload, timestamp: context.timestamp,
            frameNumber: context.frameNumber, discontinuity: false,
            payloadOffsetInFrame: context.offsetInFrame(payload)))
    }
}
