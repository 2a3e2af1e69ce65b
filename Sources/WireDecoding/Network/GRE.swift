extension NetworkDissector {
    /// GRE (RFC 2784/2890, and the RFC 1701 routing field): optional checksum, key and sequence
    /// words, then the protocol type names the inner packet. ERSPAN mirrors whole Ethernet
    /// frames through GRE.
    mutating func decodeGRE(
        _ packet: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard packet.count >= 4 else { return counters.countMalformed("short gre header") }
        let flags = packet.be16(0)
        let protocolType = packet.be16(2)
        // Version 1 is PPTP's enhanced GRE, which carries PPP: nothing for us.
        guard flags & 0x0007 == 0 else { return counters.ignored += 1 }
        let checksumPresent = flags & 0x8000 != 0
        let routingPresent = flags & 0x4000 != 0
        let keyPresent = flags & 0x2000 != 0
        let sequencePresent = flags & 0x1000 != 0
        var headerLength = 4
        if checksumPresent || routingPresent { headerLength += 4 }
        if keyPresent { headerLength += 4 }
        if sequencePresent { headerLength += 4 }
        guard headerLength <= packet.count else { return counters.countMalformed("short gre header") }
        if routingPresent {
            // Source route entries: family u16, offset u8, length u8, data; a zero entry ends.
            while true {
                guard headerLength &+ 4 <= packet.count else { return counters.countMalformed("short gre header") }
                let family = packet.be16(headerLength)
                let entryLength = Int(packet[headerLength &+ 3])
                headerLength = headerLength &+ 4 &+ entryLength
                if family == 0, entryLength == 0 { break }
            }
            guard headerLength <= packet.count else { return counters.countMalformed("short gre header") }
        }
        let inner = packet.dropping(headerLength)
        switch protocolType {
        case EtherType.ipv4:
            decodeIPv4(inner, depth: depth, context, &counters, emit)
        case EtherType.ipv6:
            decodeIPv6(inner, depth: depth, context, &counters, emit)
        case EtherType.transparentEthernet:
            decodeEthernet(inner, depth: depth, context, &counters, emit)
        case EtherType.erspanII:
            // Type I has no sequence number and no ERSPAN header; type II has both.
            let erspanLength = sequencePresent ? 8 : 0
            guard inner.count >= erspanLength else { return counters.countMalformed("short erspan header") }
            decodeEthernet(inner.dropping(erspanLength), depth: depth, context, &counters, emit)
        case EtherType.erspanIII:
            // 12 bytes; the O bit (lowest of the last byte) adds an 8-byte platform subheader.
            guard inner.count >= 12 else { return counters.countMalformed("short erspan header") }
            let erspanLength = inner[11] & 0x01 != 0 ? 20 : 12
            guard inner.count >= erspanLength else { return counters.countMalformed("short erspan header") }
            // Frame type (5 bits below the P bit in the last 16 bits) 0 is Ethernet, 2 bare IP.
            let frameType = (inner.be16(10) >> 10) & 0x1f
            let mirrored = inner.dropping(erspanLength)
            switch frameType {
            case 0: decodeEthernet(mirrored, depth: depth, context, &counters, emit)
            case 2: decodeRawIP(mirrored, depth: depth, context, &counters, emit)
            default: counters.ignored += 1
            }
        default:
            counters.ignored += 1
        }
    }
}
