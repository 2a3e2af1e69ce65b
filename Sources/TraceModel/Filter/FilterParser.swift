import WireDecoding

/// Recursive descent over the filter text. Positions are kept per token so that a mistake is
/// reported where it is, not where parsing gave up.
struct FilterParser {
    enum TokenKind: Equatable {
        case word(String)          // a bare word or field:value, as written
        case quoted(String)        // "text with spaces"
        case regex(String, ignoresCase: Bool)
        case open, close, and, or, not, end
    }

    struct Token {
        var kind: TokenKind
        var position: Int
    }

    private var tokens: [Token] = []
    private var index = 0
    private var lexError: TraceFilter.ParseError?

    init(_ text: String) {
        do {
            tokens = try FilterParser.tokenize(Array(text))
        } catch {
            lexError = error
        }
    }

    mutating func parseExpression() throws(TraceFilter.ParseError) -> TraceFilter.Node {
        if let lexError { throw lexError }
        if tokens.first?.kind == .end { throw .init(position: 0, message: "empty filter: expected a term such as method:INVITE") }
        let node = try parseOr()
        let t = tokens[index]
        if t.kind != .end {
            if t.kind == .close { throw .init(position: t.position, message: "')' without a matching '('") }
            throw .init(position: t.position, message: "unexpected \(describe(t.kind))")
        }
        return node
    }

    private mutating func parseOr() throws(TraceFilter.ParseError) -> TraceFilter.Node {
        var left = try parseAnd()
        while tokens[index].kind == .or {
            index += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(TraceFilter.ParseError) -> TraceFilter.Node {
        var left = try parseNot()
        while true {
            switch tokens[index].kind {
            case .and:
                index += 1
                left = .and(left, try parseNot())
            case .word, .quoted, .regex, .open, .not:
                left = .and(left, try parseNot())   // terms side by side
            default:
                return left
            }
        }
    }

    private mutating func parseNot() throws(TraceFilter.ParseError) -> TraceFilter.Node {
        if tokens[index].kind == .not {
            index += 1
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(TraceFilter.ParseError) -> TraceFilter.Node {
        let t = tokens[index]
        switch t.kind {
        case .open:
            index += 1
            let inner = try parseOr()
            guard tokens[index].kind == .close else {
                throw .init(position: tokens[index].position, message: "expected ')' to close the '(' at column \(t.position + 1)")
            }
            index += 1
            return inner
        case .regex(let pattern, let ignoresCase):
            index += 1
            do {
                // Matched on Unicode scalars, not characters: "\r" alone then matches the CR of a
                // CRLF line end (as a character, CRLF is one, which "\r" never matches).
                let regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
                return .term(.payload(.init(source: pattern, ignoresCase: ignoresCase,
                                            regex: ignoresCase ? regex.ignoresCase() : regex)))
            } catch {
                throw .init(position: t.position, message: "invalid regular expression /\(pattern)/")
            }
        case .quoted(let text):
            index += 1
            return .term(.anyText(text.lowercased()))
        case .word(let word):
            index += 1
            return .term(try FilterParser.term(word, at: t.position))
        case .end:
            throw .init(position: t.position, message: "expected a term after the last operator")
        default:
            throw .init(position: t.position, message: "unexpected \(describe(t.kind))")
        }
    }

    private func describe(_ k: TokenKind) -> String {
        switch k {
        case .word(let w): "'\(w)'"
        case .quoted(let q): "\"\(q)\""
        case .regex(let r, _): "/\(r)/"
        case .open: "'('"
        case .close: "')'"
        case .and: "'and'"
        case .or: "'or'"
        case .not: "'not'"
        case .end: "end of filter"
        }
    }

    /// `field:value` (the value may be quoted: `from:"Alice Smith"`), or a bare word.
    static func term(_ word: String, at position: Int) throws(TraceFilter.ParseError) -> TraceFilter.Term {
        guard let colon = word.firstIndex(of: ":") else { return .anyText(word.lowercased()) }
        let field = word[..<colon].lowercased()
        var value = String(word[word.index(after: colon)...])
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
        let valuePosition = position + word.distance(from: word.startIndex, to: colon) + 1
        guard !value.isEmpty else { throw .init(position: valuePosition, message: "expected a value after '\(field):'") }
        switch field {
        case "method", "m":
            return .method(value.uppercased())
        case "status", "code":
            return .status(try status(value, at: valuePosition))
        case "from", "f": return .fromUser(value.lowercased())
        case "to", "t": return .toUser(value.lowercased())
        case "callid", "call-id", "cid", "i": return .callID(value.lowercased())
        case "corr", "correlation", "session": return .correlation(value.lowercased())
        case "src", "source": return .source(try endpoint(value, at: valuePosition))
        case "dst", "destination": return .destination(try endpoint(value, at: valuePosition))
        case "state":
            let wanted = value.lowercased().replacingDashes()
            guard let s = CallState.allCases.first(where: { $0.name.replacingDashes() == wanted }) else {
                let names = CallState.allCases.map(\.name).joined(separator: ", ")
                throw .init(position: valuePosition, message: "unknown state '\(value)'; one of: \(names)")
            }
            return .state(s)
        default:
            // IPv6 addresses and other words with colons are searched as text.
            if word.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) { return .anyText(word.lowercased()) }
            throw .init(position: position, message: "unknown field '\(field)'; fields: \(TraceFilter.fields.joined(separator: ", "))")
        }
    }

    static func status(_ v: String, at position: Int) throws(TraceFilter.ParseError) -> TraceFilter.StatusPattern {
        let lower = v.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let d = lower.first?.wholeNumberValue, (1...6).contains(d) {
            let base = UInt16(d * 100)
            return .range(base...base + 99)
        }
        guard let n = UInt16(v), (100...699).contains(n) else {
            throw .init(position: position, message: "expected a status code (100-699) or a class such as 4xx, got '\(v)'")
        }
        return .exact(n)
    }

    /// `1.2.3.4`, `1.2.3.4:5060`, `::1`, `[::1]`, `[::1]:5060`.
    static func endpoint(_ v: String, at position: Int) throws(TraceFilter.ParseError) -> TraceFilter.EndpointPattern {
        func fail() -> TraceFilter.ParseError {
            .init(position: position, message: "expected an address such as 10.0.0.1, 10.0.0.1:5060 or [2001:db8::1]:5060, got '\(v)'")
        }
        var host = Substring(v)
        var port: UInt16?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail() }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else { throw fail() }
                port = p
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let p = UInt16(host[host.index(after: colon)...]) else { throw fail() }
            port = p
            host = host[..<colon]
        }
        guard let address = parseAddress(String(host)) else { throw fail() }
        return .init(address: address, port: port)
    }

    static func parseAddress(_ s: String) -> IPAddress? {
        if !s.contains(":") {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for p in parts {
                guard let b = UInt8(p) else { return nil }
                value = value << 8 | UInt32(b)
            }
            return .v4(value)
        }
        // IPv6, with at most one "::" and an optional dotted IPv4 tail.
        var text = s
        var tail: [UInt16] = []
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            guard case .v4(let v4)? = parseAddress(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
            text = String(text[...lastColon])
            if !text.hasSuffix("::") { text.removeLast() }
        }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let rest = groups(halves[1]) else { return nil }
            let missing = 8 - head.count - rest.count - tail.count
            guard missing >= 1 else { return nil }
            all = head + [UInt16](repeating: 0, count: missing) + rest + tail
        } else {
            all = head + tail
        }
        guard all.count == 8 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        return .v6(high: hi, low: lo)
    }

    static func tokenize(_ chars: [Character]) throws(TraceFilter.ParseError) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            let start = i
            switch c {
            case "(":
                tokens.append(Token(kind: .open, position: i)); i += 1
            case ")":
                tokens.append(Token(kind: .close, position: i)); i += 1
            case "!":
                tokens.append(Token(kind: .not, position: i)); i += 1
            case "&" where i + 1 < chars.count && chars[i + 1] == "&":
                tokens.append(Token(kind: .and, position: i)); i += 2
            case "|" where i + 1 < chars.count && chars[i + 1] == "|":
                tokens.append(Token(kind: .or, position: i)); i += 2
            case "&", "|":
                throw .init(position: i, message: "unexpected '\(c)': write 'and' or '&&', 'or' or '||'")
            case "/":
                // A regex runs to the next unescaped slash; "\/" stands for a slash.
                var pattern = ""
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] == "/" {
                        pattern.append("/"); i += 2; continue
                    }
                    if chars[i] == "/" { closed = true; i += 1; break }
                    pattern.append(chars[i]); i += 1
                }
                guard closed else { throw .init(position: start, message: "regular expression not closed: expected '/'") }
                guard !pattern.isEmpty else { throw .init(position: start, message: "empty regular expression") }
                var ignoresCase = false
                if i < chars.count, chars[i] == "i", i + 1 == chars.count || !chars[i + 1].isLetter {
                    ignoresCase = true
                    i += 1
                } else if i < chars.count, chars[i].isLetter {
                    // "/busy/I", "/busy/s": a flag that would otherwise become a search word.
                    // (Letters only: "/a/&&b", "/a//b/", "/a/!b" go on as operators and terms.)
                    var flags = ""
                    while i < chars.count, chars[i].isLetter { flags.append(chars[i]); i += 1 }
                    throw .init(position: i - flags.count, message: "unknown flag '\(flags)' after /\(pattern)/: the only one is i (ignore case)")
                }
                tokens.append(Token(kind: .regex(pattern, ignoresCase: ignoresCase), position: start))
            case "\"":
                let (text, next) = try quoted(chars, from: i)
                tokens.append(Token(kind: .quoted(text), position: start))
                i = next
            default:
                var word = ""
                // "method:INVITE&&status:486": the operator ends the word, as a space would.
                func operatorAhead() -> Bool {
                    i + 1 < chars.count && (chars[i] == "&" && chars[i + 1] == "&" || chars[i] == "|" && chars[i + 1] == "|")
                }
                while i < chars.count, isWordCharacter(chars[i]), !operatorAhead() {
                    if chars[i] == "\"" {
                        // field:"quoted value"
                        let (text, next) = try quoted(chars, from: i)
                        word += "\"" + text + "\""
                        i = next
                        continue
                    }
                    word.append(chars[i]); i += 1
                }
                guard !word.isEmpty else { throw .init(position: start, message: "unexpected '\(c)'") }
                switch word.lowercased() {
                case "and": tokens.append(Token(kind: .and, position: start))
                case "or": tokens.append(Token(kind: .or, position: start))
                case "not": tokens.append(Token(kind: .not, position: start))
                default: tokens.append(Token(kind: .word(word), position: start))
                }
            }
        }
        tokens.append(Token(kind: .end, position: chars.count))
        return tokens
    }

    private static func isWordCharacter(_ c: Character) -> Bool {
        !c.isWhitespace && c != "(" && c != ")"
    }

    private static func quoted(_ chars: [Character], from start: Int) throws(TraceFilter.ParseError) -> (String, Int) {
        var i = start + 1
        var text = ""
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count { text.append(chars[i + 1]); i += 2; continue }
            if chars[i] == "\"" { return (text, i + 1) }
            text.append(chars[i]); i += 1
        }
        throw .init(position: start, message: "quoted text not closed: expected '\"'")
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(self.map { $0 == "-" || $0 == "_" ? " " : $0 })
    }

    /// Splits at "::" (IPv6 zero compression).
    fileprivate func components(separatedByDoubleColon: ()) -> [String] {
        var parts: [String] = []
        var current = ""
        var chars = Array(self)[...]
        while let c = chars.first {
            if c == ":", chars.dropFirst().first == ":" {
                parts.append(current)
                current = ""
                chars = chars.dropFirst(2)
                continue
            }
            current.append(c)
            chars = chars.dropFirst()
        }
        parts.append(current)
        return parts
    }
}
