/// A frame's comment, borrowed from the bytes that hold it like a payload is: frames and decoded
/// messages stay plain values, copied without reference counting on every packet (a String
/// field in them cost a twentieth of the decoding time, though almost no frame has a comment).
public struct FrameComment {
    enum Source {
        /// The text itself.
        case utf8
        /// A pcapng packet block's options, holding one or more opt_comment.
        case pcapngOptions(bigEndian: Bool)
    }

    let bytes: UnsafeRawBufferPointer
    let source: Source

    /// A comment whose text is `utf8`; valid as long as those bytes are.
    public init(utf8: UnsafeRawBufferPointer) {
        bytes = utf8
        source = .utf8
    }

    init(pcapngOptions: UnsafeRawBufferPointer, bigEndian: Bool) {
        bytes = pcapngOptions
        source = .pcapngOptions(bigEndian: bigEndian)
    }

    /// The text (invalid UTF-8 repaired); several opt_comment values are joined by newlines.
    public var text: String {
        switch source {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .pcapngOptions(let bigEndian):
            var text: String?
            _ = PcapngReader.forEachOption(bytes, from: 0, to: bytes.count, bigEndian: bigEndian) { code, value in
                guard code == 1 else { return }
                let part = String(decoding: bytes.slice(value), as: UTF8.self)
                text = text.map { $0 + "\n" + part } ?? part
            }
            return text ?? ""
        }
    }
}
