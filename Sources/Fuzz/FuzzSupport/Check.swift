import WireDecoding

/// Properties the fuzz targets assert. A failure traps in every build configuration, so
/// libFuzzer records it as a finding with the input that caused it.
public enum Check {
    @inline(__always)
    public static func that(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                            file: StaticString = #fileID, line: UInt = #line) {
        if !condition() { fatalError("property violated: \(message())", file: file, line: line) }
    }

    /// `range` lies inside a buffer of `count` bytes.
    @inline(__always)
    public static func inside(_ range: Range<Int>?, _ count: Int, _ what: @autoclosure () -> String,
                              file: StaticString = #fileID, line: UInt = #line) {
        guard let r = range else { return }
        that(r.lowerBound >= 0 && r.upperBound <= count, "\(what()) \(r) outside 0..<\(count)", file: file, line: line)
    }

    /// `inner` is a view of memory inside `outer`.
    public static func within(_ inner: UnsafeRawBufferPointer, _ outer: UnsafeRawBufferPointer,
                              _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        guard inner.count > 0 else { return }
        guard let i = inner.baseAddress, let o = outer.baseAddress else {
            return that(false, "\(what()): missing base address", file: file, line: line)
        }
        that(i >= o && i + inner.count <= o + outer.count, "\(what()) is not inside its buffer", file: file, line: line)
    }

    /// Every range of a SIP index lies inside the message it indexes, and the message inside the
    /// bytes it was parsed from.
    public static func index(_ index: SIPMessageIndex, parsedFrom bytes: UnsafeRawBufferPointer,
                             file: StaticString = #fileID, line: UInt = #line) {
        let count = bytes.count
        that(index.length >= 0 && index.length <= count, "SIP length \(index.length) of \(count) bytes", file: file, line: line)
        that(index.bodyStart >= 0 && index.bodyStart <= count, "SIP body start \(index.bodyStart) of \(count) bytes", file: file, line: line)
        let n = index.length
        switch index.startLine {
        case .request(_, let method, let uri):
            inside(method, n, "method", file: file, line: line)
            inside(uri, n, "request URI", file: file, line: line)
        case .response(let status, let reason):
            that(status >= 100 && status <= 999, "status \(status)", file: file, line: line)
            inside(reason, count, "reason phrase", file: file, line: line)
        }
        // Header values are found in the header block, which a message always includes.
        for (name, r) in [("Call-ID", index.callID), ("CSeq method", index.cseqMethod), ("From", index.from),
                          ("To", index.to), ("From tag", index.fromTag(in: bytes)), ("To tag", index.toTag(in: bytes)),
                          ("Via", index.topVia), ("branch", index.viaBranch), ("Via transport", index.viaTransport),
                          ("X-Call-ID", index.xCallID), ("Session-ID", index.sessionID), ("icid-value", index.icidValue)] {
            inside(r, n, name, file: file, line: line)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Byte comparisons in one memcmp: the generic `==` on arrays compares element by element, and
/// under coverage instrumentation every byte compared becomes a callback into libFuzzer.
public enum Same {
    public static func bytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    public static func bytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in bytes(x, y) } }
    }

    public static func bytes(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { bytes($0, $1) }
    }
}
