/// Makes untrusted text (payloads, header values, correlation ids, node names) safe to show on a
/// terminal: control characters, C1 controls, bidirectional overrides and invalid UTF-8 become
/// visible escapes, so no packet can move the cursor, retitle the window or reorder a line.
public enum SafeText {
    /// One visible line: every control character escaped, including tab and newline.
    public static func line(_ bytes: UnsafeRawBufferPointer) -> String {
        escape(bytes, keepLineBreaks: false)
    }

    public static func line(_ s: String) -> String {
        var copy = s
        return copy.withUTF8 { escape(UnsafeRawBufferPointer($0), keepLineBreaks: false) }
    }

    /// Multi-line text (a SIP message): CRLF and LF kept as line breaks, tabs kept, the rest escaped.
    public static func block(_ bytes: UnsafeRawBufferPointer) -> String {
        escape(bytes, keepLineBreaks: true)
    }

    static func escape(_ bytes: UnsafeRawBufferPointer, keepLineBreaks: Bool) -> String {
        // Fast path: printable ASCII only.
        if !bytes.contains(where: { $0 < 0x20 || $0 >= 0x7f }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out = ""
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case 0x0d where keepLineBreaks && i + 1 < bytes.count && bytes[i + 1] == 0x0a:
                    break  // CR of CRLF: the LF makes the break
                case 0x0a where keepLineBreaks: out.append("\n")
                case 0x09 where keepLineBreaks: out.append("\t")
                case 0x09: out.append("\\t")
                case 0x0a: out.append("\\n")
                case 0x0d: out.append("\\r")
                case 0x1b: out.append("\\e")
                case 0..<0x20, 0x7f: out.append("\\x" + hex2(b))
                default: out.unicodeScalars.append(Unicode.Scalar(b))
                }
                i += 1
                continue
            }
            // Multi-byte UTF-8: decode one scalar, or escape the bad byte.
            if let (scalar, length) = decodeScalar(bytes, at: i) {
                if isDangerous(scalar) {
                    out.append("\\u{" + String(scalar.value, radix: 16) + "}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
                i += length
            } else {
                out.append("\\x" + hex2(b))
                i += 1
            }
        }
        return out
    }

    /// C1 controls, bidirectional embeddings/overrides/isolates, and line/paragraph separators.
    static func isDangerous(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x80...0x9f, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069, 0x2028, 0x2029, 0x061c, 0xfeff: true
        default: false
        }
    }

    static func decodeScalar(_ b: UnsafeRawBufferPointer, at i: Int) -> (Unicode.Scalar, Int)? {
        let c = b[i]
        let length: Int
        var value: UInt32
        switch c {
        case 0xc2...0xdf: length = 2; value = UInt32(c & 0x1f)
        case 0xe0...0xef: length = 3; value = UInt32(c & 0x0f)
        case 0xf0...0xf4: length = 4; value = UInt32(c & 0x07)
        default: return nil
        }
        guard i + length <= b.count else { return nil }
        for k in 1..<length {
            let cc = b[i + k]
            guard cc & 0xc0 == 0x80 else { return nil }
            value = value << 6 | UInt32(cc & 0x3f)
        }
        // Reject overlong forms and surrogates.
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let s = Unicode.Scalar(value) else { return nil }
        return (s, length)
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
