/// Finds any header by name, for the rare callers that need a header the index does not keep
/// (user-configured correlation headers). Slower than the one-pass index; used only on demand.
public enum SIPHeaderLookup {
    /// The trimmed value of the first header called `lowercasedName` in the header block
    /// `0..<index.bodyStart` of `message`.
    public static func firstValue(named lowercasedName: [UInt8], in message: UnsafeRawBufferPointer,
                                  headerEnd: Int) -> Range<Int>? {
        let end = min(headerEnd, message.count)
        var lineStart = message.firstIndex(of: 10, from: 0, to: end).map { $0 + 1 } ?? end
        while lineStart < end {
            let lf = message.firstIndex(of: 10, from: lineStart, to: end) ?? end
            if let colon = message.firstIndex(of: 58, from: lineStart, to: lf) {
                var nameEnd = colon
                while nameEnd > lineStart, message[nameEnd - 1] == 32 || message[nameEnd - 1] == 9 { nameEnd -= 1 }
                if nameEnd - lineStart == lowercasedName.count, matches(message, lineStart, lowercasedName) {
                    var vs = colon + 1
                    while vs < lf, message[vs] == 32 || message[vs] == 9 { vs += 1 }
                    let ve = max(vs, SIPParser.trimEnd(message, lf))
                    return ve > vs ? vs..<ve : nil
                }
            }
            lineStart = lf + 1
        }
        return nil
    }

    private static func matches(_ b: UnsafeRawBufferPointer, _ at: Int, _ name: [UInt8]) -> Bool {
        for (i, c) in name.enumerated() {
            var x = b[at + i]
            if x >= 65, x <= 90 { x |= 0x20 }
            if x != c { return false }
        }
        return true
    }
}
