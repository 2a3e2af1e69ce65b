#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the start line and the headers grouping needs, in one pass over the header block.
/// Works on bytes only; accepts bare LF line ends and folded header lines.
public enum SIPParser {
    public enum Result: Sendable, Equatable {
        case message(SIPMessageIndex)
        /// No SIP start line: some other protocol.
        case notSIP
        /// Starts like SIP but cannot be used; the reason goes to the counters.
        case malformed(String)
        /// Headers not complete yet (stream framing asks again with more bytes).
        case incomplete
    }

    /// Header blocks larger than this are refused rather than scanned forever (and so that an
    /// index's header ranges fit in 16 bits).
    public static let maximumHeaderBytes = 65_534

    /// True when the bytes begin with a SIP request or status line (leading CR/LF allowed).
    public static func startsWithStartLine(_ b: UnsafeRawBufferPointer) -> Bool {
        let rest = b.dropping(b.leadingLineEnds())
        let lineEnd = rest.firstIndex(of: 10) ?? rest.count
        return classifyStartLine(rest.slice(0..<lineEnd)) != nil
    }

    /// Parses one message at the start of `b`. With `isStream`, a message needs its whole header
    /// block and Content-Length before it counts; otherwise (a datagram) the body runs to the end.
    public static func parse(_ b: UnsafeRawBufferPointer, isStream: Bool = false) -> Result {
        let firstEOL = b.firstIndex(of: 10)
        // A stream may stop in the middle of the start line: wait for the rest of it.
        if firstEOL == nil, isStream, b.count < 1024 { return .incomplete }
        guard let startLine = classifyStartLine(b.slice(0..<(firstEOL ?? min(b.count, 512)))) else {
            return .notSIP
        }
        guard let eol = firstEOL else { return isStream ? .incomplete : .malformed("SIP start line without end") }
        var index = SIPMessageIndex(startLine: startLine, bodyStart: b.count, length: b.count)
        var lineStart = eol + 1
        var current: HeaderKind? = nil
        var currentValueStart = 0
        var sawVia = false
        var headerEnd: Int? = nil
        while lineStart < b.count {
            if lineStart > maximumHeaderBytes { return .malformed("SIP header block too large") }
            let lf: Int
            if let found = b.firstIndex(of: 10, from: lineStart) {
                lf = found
            } else {
                if isStream { return .incomplete }
                lf = b.count  // a datagram cut in the headers: its last line is what is there
            }
            let lineEnd = (lf > lineStart && b[lf - 1] == 13) ? lf - 1 : lf
            if lineEnd == lineStart {  // empty line: end of headers
                if lf < b.count { headerEnd = lf + 1 }
                break
            }
            let first = b[lineStart]
            if first == 32 || first == 9 {
                // Folded continuation: the value of the previous header goes on (or, when its
                // own line held only the name, starts here).
                if let kind = current {
                    // Only line ends and blanks so far: the value starts on this line. (Looked
                    // at here, on the rare folded line, not on every header line.)
                    if (currentValueStart..<lineStart).allSatisfy({ b[$0] == 32 || b[$0] == 9 || b[$0] == 13 || b[$0] == 10 }) {
                        var vs = lineStart
                        while vs < lineEnd, b[vs] == 32 || b[vs] == 9 { vs += 1 }
                        currentValueStart = vs
                    }
                    index.record(kind, b, currentValueStart..<max(currentValueStart, trimEnd(b, lineEnd)), &sawVia)
                }
                lineStart = lf + 1
                continue
            }
            // Most lines are headers grouping does not need: their first letter tells.
            guard HeaderKind.mayStart(with: first) else {
                current = nil
                lineStart = lf + 1
                continue
            }
            if let (kind, nameLength) = HeaderKind.colonTerminated(in: b, at: lineStart), lineStart + nameLength < lineEnd {
                var vs = lineStart + nameLength + 1
                while vs < lineEnd, b[vs] == 32 || b[vs] == 9 { vs += 1 }
                current = kind
                currentValueStart = vs
                index.record(kind, b, vs..<max(vs, trimEnd(b, lineEnd)), &sawVia)
            } else if let colon = b.scan(for: 58, from: lineStart, to: lineEnd) {
                // Header names are short: eight bytes a step find the colon sooner than memchr.
                var nameEnd = colon
                while nameEnd > lineStart, b[nameEnd - 1] == 32 || b[nameEnd - 1] == 9 { nameEnd -= 1 }
                var vs = colon + 1
                while vs < lineEnd, b[vs] == 32 || b[vs] == 9 { vs += 1 }
                current = HeaderKind(nameIn: b, at: lineStart, length: nameEnd - lineStart)
                currentValueStart = vs
                if let kind = current {
                    index.record(kind, b, vs..<max(vs, trimEnd(b, lineEnd)), &sawVia)
                }
            } else {
                current = nil  // not a header line; tolerated
            }
            lineStart = lf + 1
        }
        if (headerEnd ?? (isStream ? 0 : b.count)) > maximumHeaderBytes { return .malformed("SIP header block too large") }
        guard let bodyStart = headerEnd else {
            if isStream { return .incomplete }
            index.bodyStart = b.count
            index.length = b.count
            return index.callID == nil ? .malformed("SIP message without Call-ID") : .message(index)
        }
        index.bodyStart = bodyStart
        if let cl = index.contentLength {
            if isStream {
                guard bodyStart + cl <= b.count else { return .incomplete }
                index.length = bodyStart + cl
            } else {
                index.length = min(b.count, bodyStart + cl)
            }
        } else if isStream {
            // Content-Length is mandatory on streams; without it the body is taken as empty.
            index.length = bodyStart
        } else {
            index.length = b.count
        }
        guard index.callID != nil else { return .malformed("SIP message without Call-ID") }
        return .message(index)
    }

    // MARK: start line

    static func classifyStartLine(_ line0: UnsafeRawBufferPointer) -> SIPMessageIndex.StartLine? {
        var line = line0
        if line.count > 0, line[line.count - 1] == 13 { line = line.slice(0..<line.count - 1) }
        if line.hasBytes("SIP/2.0 ") {
            guard line.count >= 11 else { return nil }
            var status: UInt16 = 0
            for i in 8..<11 {
                let d = line[i]
                guard d >= 48, d <= 57 else { return nil }
                status = status * 10 + UInt16(d - 48)
            }
            guard status >= 100, line.count == 11 || line[11] == 32 else { return nil }
            let reasonStart = min(12, line.count)
            return .response(status: status, reason: reasonStart..<line.count)
        }
        // METHOD SP Request-URI SP SIP/2.0
        guard line.count >= 14, line.hasBytes("SIP/2.0", at: line.count - 7), line[line.count - 8] == 32 else {
            return nil
        }
        guard let sp = line.firstIndex(of: 32), sp > 0 else { return nil }
        for i in 0..<sp where !isTokenByte(line[i]) { return nil }
        let uriEnd = line.count - 8
        guard uriEnd > sp + 1 else { return nil }
        return .request(method: SIPMethod(token: line.slice(0..<sp)), methodRange: 0..<sp, uri: sp + 1..<uriEnd)
    }

    /// RFC 3261 token characters: letters, digits and - . ! % * _ + ` ' ~, as bits of two
    /// words (bytes 0-63, 64-127): one shift a byte instead of a chain of compares.
    @inline(__always) static func isTokenByte(_ c: UInt8) -> Bool {
        let word: UInt64 = c < 64 ? 0x03ff_6ca2_0000_0000 : 0x47ff_ffff_87ff_fffe
        return c < 128 && (word &>> UInt64(c & 63)) & 1 != 0
    }

    @inline(__always) static func trimEnd(_ b: UnsafeRawBufferPointer, _ end0: Int) -> Int {
        var end = end0
        while end > 0, b[end - 1] == 32 || b[end - 1] == 9 || b[end - 1] == 13 { end -= 1 }
        return end
    }
}

/// The headers whose values grouping needs; everything else is left alone.
enum HeaderKind {
    case callID, cseq, from, to, via, contentLength, xCallID, sessionID, chargingVector

    /// Letters the names below begin with, full or compact (c f i l p s t v x), as bits from 'a'.
    private static let firstLetters: UInt32 = 0b1010_1100_1000_1001_0010_0100

    /// False when no name below begins with `byte`, in either case.
    @inline(__always) static func mayStart(with byte: UInt8) -> Bool {
        let c = byte | 0x20  // only letters land in 'a'...'z' this way
        return c >= 0x61 && c <= 0x7a && firstLetters >> (c - 0x61) & 1 != 0
    }

    /// The header at `start` when its line begins with one of the common names (full or
    /// compact) straight followed by ':', as senders write them: "Via:", "Call-ID:", "l:".
    /// Then the name and its colon are one or two word compares, in any case (letters are
    /// folded, ':' and '-' are not), and the colon need not be looked for. Nil for any other
    /// line, which goes the general way (a space before the colon, the rarer names).
    @inline(__always) static func colonTerminated(in b: UnsafeRawBufferPointer, at start: Int) -> (kind: HeaderKind, nameLength: Int)? {
        guard start + 16 <= b.count else { return nil }
        let w = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        @inline(__always) func first(_ bytes: Int, _ fold: UInt64) -> UInt64 { (w & (1 &<< UInt64(bytes &* 8) &- 1)) | fold }
        switch w & 0xff | 0x20 {
        case 0x76:  // v
            if first(4, 0x20_2020) == 0x3a61_6976 { return (.via, 3) }
            if first(2, 0x20) == 0x3a76 { return (.via, 1) }
        case 0x66:  // f
            if first(5, 0x2020_2020) == 0x3a_6d6f_7266 { return (.from, 4) }
            if first(2, 0x20) == 0x3a66 { return (.from, 1) }
        case 0x74:  // t
            if first(3, 0x2020) == 0x3a_6f74 { return (.to, 2) }
            if first(2, 0x20) == 0x3a74 { return (.to, 1) }
        case 0x63:  // c
            if first(5, 0x2020_2020) == 0x3a_7165_7363 { return (.cseq, 4) }
            if w | 0x20_2000_2020_2020 == 0x3a64_692d_6c6c_6163 { return (.callID, 7) }
            if w | 0x20_2020_2020_2020 == 0x2d74_6e65_746e_6f63 {
                let w2 = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: start &+ 8, as: UInt64.self))
                if (w2 & 0xff_ffff_ffff_ffff) | 0x2020_2020_2020 == 0x3a_6874_676e_656c { return (.contentLength, 14) }
            }
        case 0x69:  // i
            if first(2, 0x20) == 0x3a69 { return (.callID, 1) }
        case 0x6c:  // l
            if first(2, 0x20) == 0x3a6c { return (.contentLength, 1) }
        default:
            break
        }
        return nil
    }

    /// The name of `length` bytes at `start`, compared eight bytes at once: each word is
    /// matched against the lowercase name with bit 5 set on its letters (so 'C' and 'c' both
    /// match 'c', and '-' only itself). Near the end of the bytes, one byte at a time.
    @inline(__always) init?(nameIn b: UnsafeRawBufferPointer, at start: Int, length: Int) {
        guard length > 1, start + 16 <= b.count else {
            self.init(name: b.slice(start..<start + length))
            return
        }
        @inline(__always) func word(_ offset: Int, _ bytes: Int, _ fold: UInt64) -> UInt64 {
            let w = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self))
            return (bytes == 8 ? w : w & (1 << UInt64(bytes * 8) - 1)) | fold
        }
        switch length {
        case 2 where word(0, 2, 0x2020) == 0x6f74: self = .to
        case 3 where word(0, 3, 0x20_2020) == 0x61_6976: self = .via
        case 4:
            switch word(0, 4, 0x2020_2020) {
            case 0x7165_7363: self = .cseq
            case 0x6d6f_7266: self = .from
            default: return nil
            }
        case 5 where word(0, 5, 0x20_2020_0020) == 0x64_6963_2d78: self = .xCallID
        case 7 where word(0, 7, 0x20_2000_2020_2020) == 0x64_692d_6c6c_6163: self = .callID
        case 9 where word(0, 8, 0x2000_2020_2020_0020) == 0x692d_6c6c_6163_2d78 && word(8, 1, 0x20) == 0x64:
            self = .xCallID
        case 10 where word(0, 8, 0x0020_2020_2020_2020) == 0x2d6e_6f69_7373_6573 && word(8, 2, 0x2020) == 0x6469:
            self = .sessionID
        case 14 where word(0, 8, 0x0020_2020_2020_2020) == 0x2d74_6e65_746e_6f63
            && word(8, 6, 0x2020_2020_2020) == 0x6874_676e_656c:
            self = .contentLength
        case 17 where word(0, 8, 0x2020_2020_2020_0020) == 0x6967_7261_6863_2d70
            && word(8, 8, 0x2020_2020_2000_2020) == 0x6f74_6365_762d_676e && b[start + 16] | 0x20 == 0x72:
            self = .chargingVector
        default: return nil
        }
    }

    /// Case-insensitive match on full and compact names (i, l, f, t, v).
    init?(name: UnsafeRawBufferPointer) {
        switch name.count {
        case 1:
            switch name[0] | 0x20 {
            case UInt8(ascii: "i"): self = .callID
            case UInt8(ascii: "l"): self = .contentLength
            case UInt8(ascii: "f"): self = .from
            case UInt8(ascii: "t"): self = .to
            case UInt8(ascii: "v"): self = .via
            default: return nil
            }
        case 2 where name.equalsLowercased("to"): self = .to
        case 3 where name.equalsLowercased("via"): self = .via
        case 4 where name.equalsLowercased("cseq"): self = .cseq
        case 4 where name.equalsLowercased("from"): self = .from
        case 5 where name.equalsLowercased("x-cid"): self = .xCallID
        case 7 where name.equalsLowercased("call-id"): self = .callID
        case 9 where name.equalsLowercased("x-call-id"): self = .xCallID
        case 10 where name.equalsLowercased("session-id"): self = .sessionID
        case 14 where name.equalsLowercased("content-length"): self = .contentLength
        case 17 where name.equalsLowercased("p-charging-vector"): self = .chargingVector
        default: return nil
        }
    }
}

extension SIPMessageIndex {
    /// Stores one header value. Repeated single-valued headers keep their first value, as
    /// proxies and tshark do; Via keeps only the topmost entry.
    mutating func record(_ kind: HeaderKind, _ b: UnsafeRawBufferPointer, _ value: Range<Int>, _ sawVia: inout Bool) {
        guard value.lowerBound <= value.upperBound else { return }
        switch kind {
        case .callID:
            if callID == nil || callID!.lowerBound == value.lowerBound { callID = value.isEmpty ? nil : value }
        case .cseq:
            var i = value.lowerBound
            var n: UInt64 = 0
            var digits = 0
            while i < value.upperBound, b[i] >= 48, b[i] <= 57 {
                n = n * 10 + UInt64(b[i] - 48)
                digits += 1
                i += 1
                if digits > 10 { break }
            }
            guard digits > 0, n <= UInt64(UInt32.max) else { return }
            cseqNumber = UInt32(n)
            while i < value.upperBound, b[i] == 32 || b[i] == 9 { i += 1 }
            var e = i
            while e < value.upperBound, SIPParser.isTokenByte(b[e]) { e += 1 }
            cseqMethod = e > i ? i..<e : nil
        case .from:
            // A first value left empty goes on in a folded line, from another start.
            if from == nil || from!.lowerBound == value.lowerBound || from!.isEmpty { from = value.isEmpty ? nil : value }
        case .to:
            if to == nil || to!.lowerBound == value.lowerBound || to!.isEmpty { to = value.isEmpty ? nil : value }
        case .via:
            guard !sawVia || topVia?.lowerBound == value.lowerBound || topVia?.isEmpty == true else { return }
            sawVia = true
            // Only the first of comma-joined values is the top Via.
            let end = b.firstIndex(of: 44, from: value.lowerBound, to: value.upperBound) ?? value.upperBound
            let top = value.lowerBound..<max(value.lowerBound, SIPParser.trimEnd(b, end))
            topVia = top
            viaBranch = b.branchParameter(in: top)
            // "SIP/2.0/UDP host": the token after the second slash. Nearly every Via starts
            // with exactly "SIP/2.0/", whose slashes need not be looked for.
            let secondSlash: Int?
            if top.count >= 8, UInt64(littleEndian: b.loadUnaligned(fromByteOffset: top.lowerBound, as: UInt64.self))
                == 0x2f30_2e32_2f50_4953 {
                secondSlash = top.lowerBound + 7
            } else if let s1 = b.scan(for: 47, from: top.lowerBound, to: top.upperBound) {
                secondSlash = b.scan(for: 47, from: s1 + 1, to: top.upperBound)
            } else {
                secondSlash = nil
            }
            if let s2 = secondSlash {
                var ts = s2 + 1
                while ts < top.upperBound, b[ts] == 32 { ts += 1 }
                var te = ts
                while te < top.upperBound, SIPParser.isTokenByte(b[te]) { te += 1 }
                viaTransport = te > ts ? ts..<te : nil
            }
        case .contentLength:
            var n = 0
            var digits = 0
            for i in value where digits < 9 {
                guard b[i] >= 48, b[i] <= 57 else { break }
                n = n * 10 + Int(b[i] - 48)
                digits += 1
            }
            if digits > 0 { contentLength = n }
        case .xCallID:
            if xCallID == nil, !value.isEmpty { xCallID = value }
        case .sessionID:
            if sessionID == nil, !value.isEmpty {
                let end = b.firstIndex(of: 59, from: value.lowerBound, to: value.upperBound) ?? value.upperBound
                sessionID = value.lowerBound..<max(value.lowerBound, SIPParser.trimEnd(b, end))
            }
        case .chargingVector:
            if icidValue == nil { icidValue = b.parameter("icid-value", in: value, leading: true) }
        }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func firstIndex(of byte: UInt8, from start: Int = 0, to end0: Int? = nil) -> Int? {
        let end = end0 ?? count
        guard start < end, let base = baseAddress else { return nil }
        guard let p = memchr(base + start, Int32(byte), end - start) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    func equalsLowercased(_ lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        guard count == n else { return false }
        let p = lower.utf8Start
        for i in 0..<n {
            var c = self[i]
            if c >= 65, c <= 90 { c |= 0x20 }
            if c != p[i] { return false }
        }
        return true
    }

    /// The value of `;name=value` in a header value (names case-insensitive). `leading` also
    /// accepts the parameter as the very first item (P-Charging-Vector). From and To tags, which
    /// are looked for after the value's last '>', have `tagParameter`.
    public func parameter(_ name: StaticString, in r: Range<Int>, leading: Bool = false) -> Range<Int>? {
        let n = name.utf8CodeUnitCount
        var i = r.lowerBound
        while i < r.upperBound {
            // Parameters start after ';' only (or anywhere at an item start, for `leading`).
            if !leading {
                guard let semi = firstIndex(of: 59, from: i, to: r.upperBound) else { return nil }
                i = semi + 1
            }
            let atItemStart = b(i - 1) == 59 || (leading && (i == r.lowerBound || b(i - 1) == 32 || b(i - 1) == 44))
            if atItemStart, i + n < r.upperBound, self[i + n] == 61,
               slice(i..<i + n).equalsLowercased(name) {
                return parameterValue(from: i + n + 1, to: r.upperBound)
            }
            i += 1
        }
        return nil
    }

    @inline(__always) private func b(_ i: Int) -> UInt8 { i >= 0 && i < count ? self[i] : 0 }

    /// A parameter's value starting at `start` (just past its '='): quoted, or up to the next
    /// stop; nil when empty.
    @inline(__always) private func parameterValue(from start: Int, to end: Int) -> Range<Int>? {
        var vs = start
        let ve: Int
        if vs < end, self[vs] == 34 {  // quoted value
            vs += 1
            ve = firstIndex(of: 34, from: vs, to: end) ?? end
        } else {
            ve = parameterValueEnd(from: vs, to: end)
        }
        return ve > vs ? vs..<ve : nil
    }

    /// `parameter("branch", in: r)`, for the top Via of every message:
    /// ";branch=" is eight bytes, compared with the bytes at each ';' as one word.
    @inline(__always) public func branchParameter(in r: Range<Int>) -> Range<Int>? {
        // ";branch=" little-endian, and bit 5 of its six letters: 'B' and 'b' both match.
        shortParameter(0x3d68_636e_6172_623b, fold: 0x0020_2020_2020_2000, length: 8, in: r)
    }

    /// The tag of a From or To value: `parameter("tag", ...)` after the value's last '>' (so that
    /// URI parameters are not taken for header ones), ";tag=" compared with the bytes at each ';'
    /// as one word.
    @inline(__always) public func tagParameter(in r: Range<Int>) -> Range<Int>? {
        var from = r.lowerBound
        if let gt = lastIndex(of: 62, in: r) { from = gt + 1 }
        // ";tag=" little-endian, and bit 5 of its three letters.
        return shortParameter(0x3d_6761_743b, fold: 0x00_2020_2000, length: 5, in: from..<r.upperBound)
    }

    /// The value of the parameter whose ';', name and '=' are the `length` (at most 8) bytes of
    /// `word` (little-endian; `fold` sets bit 5 of its letters), searched at each ';' in `r`:
    /// what `parameter` finds, a word compare at each ';' instead of a byte loop.
    @inline(__always) func shortParameter(_ word: UInt64, fold: UInt64, length: Int, in r: Range<Int>) -> Range<Int>? {
        guard r.upperBound <= count, let base = baseAddress else { return nil }
        let mask: UInt64 = length == 8 ? ~0 : (1 &<< UInt64(length &* 8)) &- 1
        var from = r.lowerBound
        while let semi = scan(for: 59, from: from, to: r.upperBound) {
            // The '=' must fall inside the range, as in `parameter`.
            if semi + length <= r.upperBound {
                let w: UInt64
                if semi + 8 <= count {
                    w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: semi, as: UInt64.self))
                } else {
                    var v: UInt64 = 0
                    for k in 0..<length { v |= UInt64(self[semi + k]) << UInt64(k * 8) }
                    w = v
                }
                if (w & mask) | fold == word { return parameterValue(from: semi + length, to: r.upperBound) }
            }
            // `parameter` goes on one byte past the ';' it tried.
            from = semi + 2
        }
        return nil
    }

    /// The first `byte` in `start..<end`, eight bytes a step, for short spans (header names,
    /// a Via's slashes: where a call to memchr costs more than the scan).
    @inline(__always) func scan(for byte: UInt8, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = baseAddress else { return nil }
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        var i = start
        while i + 8 <= end {
            let hit = Self.zeroBytes(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ pattern)
            if hit != 0 { return i + hit.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < end {
            if self[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// Where an unquoted parameter value ends: at ';', ',', ' ' or '>', or at `end`. Tags and
    /// branches are tens of bytes, three or more a message: this reads eight bytes a step,
    /// each tested for the four stops at once.
    @inline(__always) func parameterValueEnd(from start: Int, to end: Int) -> Int {
        var i = start
        if let base = baseAddress {
            while i + 8 <= end {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let hit = Self.zeroBytes(w ^ 0x3b3b_3b3b_3b3b_3b3b) | Self.zeroBytes(w ^ 0x2c2c_2c2c_2c2c_2c2c)
                    | Self.zeroBytes(w ^ 0x2020_2020_2020_2020) | Self.zeroBytes(w ^ 0x3e3e_3e3e_3e3e_3e3e)
                if hit != 0 { return i + hit.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        while i < end, self[i] != 59, self[i] != 44, self[i] != 32, self[i] != 62 { i += 1 }
        return i
    }

    /// The high bit of each byte of `x` that is zero, and possibly of bytes above one that is
    /// (a borrow runs upward): the lowest flag is exact, what forward scans take.
    @inline(__always) static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The high bit of each byte of `x` that is zero, and of no other (one operation more than
    /// `zeroBytes`): what a scan from the end needs, which takes the highest flag.
    @inline(__always) static func exactZeroBytes(_ x: UInt64) -> UInt64 {
        ~(((x & 0x7f7f_7f7f_7f7f_7f7f) &+ 0x7f7f_7f7f_7f7f_7f7f) | x | 0x7f7f_7f7f_7f7f_7f7f)
    }

    /// The last `byte` in `r`, eight bytes a step from the end (a From or To value's last '>').
    func lastIndex(of byte: UInt8, in r: Range<Int>) -> Int? {
        guard r.lowerBound >= 0, r.upperBound <= count, let base = baseAddress else { return nil }
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        var end = r.upperBound
        while end - 8 >= r.lowerBound {
            let hit = Self.exactZeroBytes(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self)) ^ pattern)
            if hit != 0 { return end - 8 + (63 - hit.leadingZeroBitCount) / 8 }
            end -= 8
        }
        while end > r.lowerBound {
            end -= 1
            if self[end] == byte { return end }
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// The whole line (without its line end) that contains `range`.
    public func lineContaining(_ range: Range<Int>) -> Range<Int>? {
        guard range.lowerBound >= 0, range.upperBound <= count else { return nil }
        var start = range.lowerBound
        while start > 0, self[start - 1] != 10 { start -= 1 }
        var end = range.upperBound
        while end < count, self[end] != 10, self[end] != 13 { end += 1 }
        return start..<end
    }
}
