/// Pieces of SIP URIs inside header values.
public enum SIPURI {
    /// The user part of the first sip:/sips:/tel: URI in a From/To/Contact value, as a range
    /// within `value` (nil when there is none, e.g. "sip:example.com").
    public static func user(in value: UnsafeRawBufferPointer) -> Range<Int>? {
        // Every scheme ends at a ':': each colon in turn, and the letters before it. A display
        // name comes first in most values; a byte at a time, it was most of the work.
        var from = 0
        while let colon = value.scan(for: 58, from: from, to: value.count) {
            if colon >= 3 {
                let c0 = value[colon - 3] | 0x20, c1 = value[colon - 2] | 0x20, c2 = value[colon - 1] | 0x20
                if c0 == 0x73, c1 == 0x69, c2 == 0x70 { return userEnd(value, from: colon + 1) }  // "sip:"
                if c0 == 0x69, c1 == 0x70, c2 == 0x73, colon >= 4, value[colon - 4] | 0x20 == 0x73 {  // "sips:"
                    return userEnd(value, from: colon + 1)
                }
                if c0 == 0x74, c1 == 0x65, c2 == 0x6c {  // "tel:"
                    var e = colon + 1
                    while e < value.count, value[e] != 59, value[e] != 62, value[e] != 32 { e += 1 }
                    return e > colon + 1 ? colon + 1..<e : nil
                }
            }
            from = colon + 1
        }
        return nil
    }

    private static func userEnd(_ v: UnsafeRawBufferPointer, from start: Int) -> Range<Int>? {
        var e = start
        while e < v.count {
            switch v[e] {
            case 64: return e > start ? start..<e : nil  // '@'
            case 59, 62, 32, 63, 44: return nil  // no user part before ';', '>', ' ', '?', ','
            default: e += 1
            }
        }
        return nil
    }
}
