/// Link-layer headers (pcap LINKTYPE values) down to the network-layer packet.
enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let vlan: UInt16 = 0x8100
    static let qinq: UInt16 = 0x88A8
    static let qinqLegacy: UInt16 = 0x9100
    static let transparentEthernet: UInt16 = 0x6558
    static let erspanII: UInt16 = 0x88BE
    static let erspanIII: UInt16 = 0x22EB
}

/// BSD address-family values found in NULL/LOOP headers: AF_INET is 2 everywhere, AF_INET6
/// differs by system (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS).
enum AddressFamily {
    static let inet: UInt32 = 2
    @inline(__always) static func isInet6(_ value: UInt32) -> Bool { value == 24 || value == 28 || value == 30 }
}

extension NetworkDissector {
    mutating func decodeLink(
        linkType: UInt32, _ frame: UnsafeRawBufferPointer, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        switch linkType {
        case 1:
            decodeEthernet(frame, depth: 0, context, &counters, emit)
        case 113:
            guard frame.count >= 16 else { return counters.countMalformed("short sll header") }
            decodeEtherType(frame.be16(14), frame.dropping(16), depth: 0, context, &counters, emit)
        case 276:
            guard frame.count >= 20 else { return counters.countMalformed("short sll2 header") }
            decodeEtherType(frame.be16(0), frame.dropping(20), depth: 0, context, &counters, emit)
        case 101, 12, 14:
            decodeRawIP(frame, depth: 0, context, &counters, emit)
        case 228:
            decodeIPv4(frame, depth: 0, context, &counters, emit)
        case 229:
            decodeIPv6(frame, depth: 0, context, &counters, emit)
        case 0:
            // Written in the capturing host's byte order, which the file does not record.
            guard frame.count >= 4 else { return counters.countMalformed("short null header") }
            decodeAddressFamily(frame.le32(0), orSwapped: frame.be32(0), frame.dropping(4), context, &counters, emit)
        case 239:
            decodeNFLOG(frame, context, &counters, emit)
        case 108:
            guard frame.count >= 4 else { return counters.countMalformed("short loop header") }
            let family = frame.be32(0)
            decodeAddressFamily(family, orSwapped: family, frame.dropping(4), context, &counters, emit)
        default:
            counters.countMalformed("unsupported link type \(linkType)")
        }
    }

    private mutating func decodeAddressFamily(
        _ family: UInt32, orSwapped swapped: UInt32, _ packet: UnsafeRawBufferPointer,
        _ context: FrameContext, _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        if family == AddressFamily.inet || swapped == AddressFamily.inet {
            decodeIPv4(packet, depth: 0, context, &counters, emit)
        } else if AddressFamily.isInet6(family) || AddressFamily.isInet6(swapped) {
            decodeIPv6(packet, depth: 0, context, &counters, emit)
        } else {
            counters.ignored += 1
        }
    }

    /// Linux NFLOG: family u8, version u8, resource id u16, then TLVs (length u16 including
    /// the 4-byte TLV header, type u16, padded to 4) in the capturing host's byte order;
    /// type 9 holds the packet.
    private mutating func decodeNFLOG(
        _ frame: UnsafeRawBufferPointer, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard frame.count >= 4 else { return counters.countMalformed("short nflog header") }
        let family = frame[0]
        var offset = 4
        while frame.count &- offset >= 4 {
            var length = Int(frame.le16(offset))
            var type = frame.le16(offset &+ 2)
            if length < 4 || length > frame.count &- offset {
                length = Int(frame.be16(offset))
                type = frame.be16(offset &+ 2)
            }
            guard length >= 4, length <= frame.count &- offset else {
                return counters.countMalformed("bad nflog tlv length")
            }
            if type == 9 {
                let packet = frame.slice((offset &+ 4)..<(offset &+ length))
                switch family {
                case 2: return decodeIPv4(packet, depth: 0, context, &counters, emit)
                case 10: return decodeIPv6(packet, depth: 0, context, &counters, emit)
                default: return decodeRawIP(packet, depth: 0, context, &counters, emit)
                }
            }
            offset = min(frame.count, offset &+ ((length &+ 3) & ~3))
        }
        counters.ignored += 1
    }

    /// Raw IP links say nothing about the version; the first nibble does.
    mutating func decodeRawIP(
        _ packet: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard packet.count >= 1 else { return counters.countMalformed("short ip header") }
        switch packet[0] >> 4 {
        case 4: decodeIPv4(packet, depth: depth, context, &counters, emit)
        case 6: decodeIPv6(packet, depth: depth, context, &counters, emit)
        default: counters.countMalformed("bad ip version")
        }
    }

    /// Ethernet II: destination, source, then an ethertype (or an 802.3 length below 0x0600).
    mutating func decodeEthernet(
        _ frame: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        guard frame.count >= 14 else { return counters.countMalformed("short ethernet header") }
        decodeEtherType(frame.be16(12), frame.dropping(14), depth: depth, context, &counters, emit)
    }

    /// Follows any number of VLAN tags (each one 4 bytes: TCI, then the next ethertype) and
    /// hands IP on. Ethernet padding stays on the packet; the IP length fields trim it.
    mutating func decodeEtherType(
        _ type: UInt16, _ payload: UnsafeRawBufferPointer, depth: Int, _ context: FrameContext,
        _ counters: inout DecodeCounters, _ emit: SegmentSink
    ) {
        var type = type
        var payload = payload
        while type == EtherType.vlan || type == EtherType.qinq || type == EtherType.qinqLegacy {
            guard payload.count >= 4 else { return counters.countMalformed("short vlan tag") }
            type = payload.be16(2)
            payload = payload.dropping(4)
        }
        switch type {
        case EtherType.ipv4: decodeIPv4(payload, depth: depth, context, &counters, emit)
        case EtherType.ipv6: decodeIPv6(payload, depth: depth, context, &counters, emit)
        default: counters.ignored += 1  // ARP, LLDP, 802.3 length frames ...
        }
    }
}
