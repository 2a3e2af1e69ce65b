/// Pieces of SIP URIs inside header values.
public enum SIPURI {
    /// The user part of the first sip:/sips:/tel: URI in a From/To/Contact value, as a range
    /// within `value` (nil when there is none, e.g. "sip:example.com").
    public static func user(in value: UnsafeRawBufferPointer) -> Range<Int>? {
        var i = 0
        while i + 4 <= value.count {
            let c0 = value[i] | 0x20, c1 = value[i + 1] | 0x20, c2 = value[i + 2] | 0x20
            if c0 == 0x73, c1 == 0x69, c2 == 0x70 {  // "sip"
                var s = i + 3
                if s < value.count, value[s] | 0x20 == 0x73 { s += 1 }  // sips
                if s < value.count, value[s] == 58 { return userEnd(value, from: s + 1) }
            } else if c0 == 0x74, c1 == 0x65, c2 == 0x6c, value[i + 3] == 58 {  // tel:
                var e = i + 4
                while e < value.count, value[e] != 59, value[e] != 62, value[e] != 32 { e += 1 }
                return e > i + 4 ? i + 4..<e : nil
            }
            i += 1
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
