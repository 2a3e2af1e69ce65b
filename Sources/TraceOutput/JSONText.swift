/// A small, fast JSON writer. Strings are escaped so that the output is valid JSON and also safe
/// to print on a terminal: every control character, C1 control and bidi override is \u-escaped.
public struct JSONText {
    public private(set) var text = ""

    public init() { text.reserveCapacity(1 << 16) }

    public mutating func raw(_ s: String) { text += s }

    public mutating func string(_ s: String?) {
        guard let s else { text += "null"; return }
        text += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || SafeText.isDangerous(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    /// `["a","b"]`.
    public mutating func strings(_ list: [String]) {
        text += "["
        for (i, s) in list.enumerated() {
            if i > 0 { text += "," }
            string(s)
        }
        text += "]"
    }

    public mutating func number<T: BinaryInteger>(_ n: T?) {
        guard let n else { text += "null"; return }
        text += String(n)
    }

    public mutating func key(_ k: String) {
        text += "\"" + k + "\":"
    }
}
