/// The one hash of byte strings the model uses to spot equal payloads, branches, tags and
/// interned strings. Lives with the decoders so that a decoding thread can hash a payload while
/// its bytes are still in that core's cache.
public enum ByteHash {
    /// A SIP message's identity, from what sets one message of a call apart from another and is
    /// already known: the hashes of its Call-ID and top Via branch, its CSeq number and length,
    /// its first 16 bytes (the method or status) and its last 8. A filter for spotting the same
    /// payload again (retransmissions, duplicates, sightings), always confirmed on the bytes: equal
    /// bytes always give equal values. Hashing the bytes themselves, even only the first 128, cost
    /// more than anything else done to a message on its decoding thread.
    @inlinable public static func ofSIPPayload(_ b: UnsafeRawBufferPointer, callID: UInt64, branch: UInt64,
                                              cseq: UInt32) -> UInt64 {
        let n = b.count
        guard n >= 24 else { return of(b) }
        var h = mixLane(callID ^ 0x9e37_79b9_7f4a_7c15, branch)
        h = mixLane(h, UInt64(n) << 32 | UInt64(cseq))
        h = mixLane(h, b.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        h = mixLane(h, b.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        h = mixLane(h, b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
        h = (h ^ (h >> 29)) &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 32)
    }

    /// A 64-bit hash of bytes: branch and tag identity, interned strings. Not cryptographic;
    /// equal lengths are also checked where it matters. It reads 32 bytes a step into four
    /// independent lanes (one chain of multiplies would wait on itself at every word).
    @inlinable public static func of(_ b: UnsafeRawBufferPointer) -> UInt64 {
        // Offsets stay within 0...count, so the arithmetic on them cannot overflow (&+, &-).
        let n = b.count
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(n)
        var i = 0
        if n >= 32, let base = b.baseAddress {
            var l0 = h, l1 = h ^ 0x2545_f491_4f6c_dd1d, l2 = h ^ 0x6a09_e667_f3bc_c908, l3 = h ^ 0xbb67_ae85_84ca_a73b
            while i &+ 32 <= n {
                l0 = mixLane(l0, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                l1 = mixLane(l1, base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self))
                l2 = mixLane(l2, base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self))
                l3 = mixLane(l3, base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self))
                i &+= 32
            }
            h = mixLane(mixLane(mixLane(l0, l1), l2), l3)
        }
        while i &+ 8 <= n {
            h = mixLane(h, b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i &+= 8
        }
        var tail: UInt64 = 0
        if i < n, n >= 8 {
            // The last 1 to 7 bytes: one load of the final eight, the ones already read shifted out.
            tail = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)) >> (UInt64(8 &- (n &- i)) &* 8)
        } else {
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(b[i]) << shift
                shift += 8
                i += 1
            }
        }
        h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 29)
    }

    @usableFromInline @inline(__always) static func mixLane(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = (h ^ w) &* 0xff51_afd7_ed55_8ccd
        return x ^ (x >> 32)
    }
}
