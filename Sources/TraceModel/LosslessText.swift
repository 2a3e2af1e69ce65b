extension String {
    /// The bytes as text, where bytes that are not UTF-8 come out as the text `\xNN`, one per
    /// byte: two names that differ only there still read differently, which a replacement
    /// character would hide.
    public init(showingInvalidUTF8 bytes: UnsafeRawBufferPointer) {
        if let valid = String(validating: bytes, as: UTF8.self) {
            self = valid
            return
        }
        var out = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                out.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error(let length):
                for b in bytes[offset..<offset + length] {
                    out += "\\x" + String(b >> 4, radix: 16) + String(b & 15, radix: 16)
                }
                offset += length
            case .emptyInput:
                self = out
                return
            }
        }
    }
}
