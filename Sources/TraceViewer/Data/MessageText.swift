import TraceModel
import TraceOutput
import WireDecoding

/// A line made of coloured spans.
public struct StyledLine: Sendable, Equatable {
    public struct Span: Sendable, Equatable {
        public var text: String
        public var role: ColorRole
        public var attributes: CellAttributes
    }

    public var spans: [Span] = []

    public init() {}
    public init(_ text: String, role: ColorRole = .normal, attributes: CellAttributes = []) {
        append(text, role: role, attributes: attributes)
    }

    public mutating func append(_ text: String, role: ColorRole = .normal, attributes: CellAttributes = []) {
        guard !text.isEmpty else { return }
        spans.append(Span(text: text, role: role, attributes: attributes))
    }

    public var text: String { spans.map(\.text).joined() }

    /// The line in rows of at most `width` cells, each row after the first led by `mark` (one
    /// cell): a long Via, Record-Route or SDP line reads whole, where scrolling sideways shows
    /// one part of every line at a time. Cut at any character: SIP values have few spaces.
    public func wrapped(width: Int, mark: String) -> [StyledLine] {
        guard width > 1, CellWidth.of(text) > width else { return [self] }
        let markWidth = CellWidth.of(mark)
        var rows: [StyledLine] = []
        var row = StyledLine()
        var used = 0
        for span in spans {
            var chunk = ""
            for c in span.text {
                let w = CellWidth.of(String(c))
                // A row takes at least one character past its mark, however wide.
                if used + w > width, used > (rows.isEmpty ? 0 : markWidth) {
                    row.append(chunk, role: span.role, attributes: span.attributes)
                    chunk = ""
                    rows.append(row)
                    row = StyledLine(mark, role: .dim)
                    used = markWidth
                }
                chunk.append(c)
                used += w
            }
            row.append(chunk, role: span.role, attributes: span.attributes)
        }
        rows.append(row)
        return rows
    }
}

extension Array where Element == StyledLine {
    /// Every line wrapped to `width` cells (see `StyledLine.wrapped`).
    public func wrapped(width: Int, mark: String) -> [StyledLine] {
        flatMap { $0.wrapped(width: width, mark: mark) }
    }
}

/// One message as the detail pane shows it: what HEP and the capture said about it, then the
/// SIP text with its parts coloured (start line, header names, tag and branch, SDP).
public struct MessageText: Sendable {
    public var facts: [StyledLine] = []
    public var body: [StyledLine] = []

    public var lines: [StyledLine] { facts + [StyledLine()] + body }

    init(store s: TraceStore, message m: Int32, captureTime: Timestamp?, glyphs: Glyphs, captureTimeRead: Bool = true) {
        let r = s.messages[Int(m)]
        let origin = s.origin(of: r)
        func fact(_ label: String, _ value: String, role: ColorRole = .normal) {
            var line = StyledLine(label.padded(to: 12), role: .header, attributes: .bold)
            line.append(value, role: role)
            facts.append(line)
        }
        let what = r.isSIP ? s.label(ofMessage: m) : HEPPayloadType.name(r.payloadType) + " event"
        fact("Message", "\(what) \(glyphs.dot) frame \(r.frame) \(glyphs.dot) \(r.payload.length) bytes", role: r.isSIP ? .sip(status: r.status) : .event)
        fact("Time", TextReport.clock(r.time) + (origin.hepVersion != 0 ? " UTC (HEP timestamp)" : " UTC (capture)"))
        if origin.hepVersion != 0 && captureTimeRead {
            fact("Captured", captureTime.map { TextReport.clock($0) + " UTC (capture record)" } ?? "not kept (received live)")
        }
        fact("Route", "\(s.endpoints[r.source].description) \(glyphs.rightwards) \(s.endpoints[r.destination].description)")
        if origin.hepVersion != 0 {
            fact("Transport", "\(r.transport.name) (HEP IP protocol \(origin.ipProtocol))")
            let node = origin.node == 0 ? "" : " \(glyphs.dot) node " + SafeText.line(s.strings.string(origin.node))
            fact("HEP", "v\(origin.hepVersion) \(glyphs.dot) capture id \(origin.captureID)\(node)")
        } else {
            fact("Transport", "\(r.transport.name) \(glyphs.dot) capture file, interface \(origin.interface)")
        }
        fact("Correlation", s.correlationID(ofMessage: m).map { SafeText.line($0) } ?? "none", role: .accent)
        if r.isSIP {
            let c = s.calls[Int(r.call)]
            fact("Call-ID", SafeText.line(s.strings.string(c.callID)) + " \(glyphs.dot) \(c.state.name)")
            if let cseq = s.cseqText(m) { fact("CSeq", SafeText.line(cseq) + " \(glyphs.dot) transaction \(r.transaction)") }
        }
        let sightings = s.sightings(of: m)
        if sightings.isEmpty {
            fact("Sightings", "only this capture point")
        } else {
            for (i, x) in sightings.enumerated() {
                let o = s.origins[Int(x.origin)]
                let node = o.node == 0 ? "" : ", node " + SafeText.line(s.strings.string(o.node))
                let where_ = o.hepVersion != 0 ? "capture id \(o.captureID)\(node)" : "input \(o.input) interface \(o.interface)"
                fact(i == 0 ? "Sightings" : "", "\(where_) \(glyphs.dot) +\(Self.milliseconds(x.delay)) ms \(glyphs.dot) frame \(x.frame)")
            }
        }
        if r.isRetransmission { fact("Flags", "retransmission (same bytes from the same capture point)", role: .retransmission) }
        if let comment = s.comment(of: m) { fact("Comment", SafeText.line(comment)) }

        let text = s.withPayload(of: r) { SafeText.block($0) }
        body = MessageText.highlight(text, isSIP: r.isSIP)
    }

    static func milliseconds(_ ns: Int64) -> String {
        let us = ns / 1000
        let frac = String(abs(us) % 1000)
        return "\(us / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    /// Colours the parts of a SIP message a reader looks for first.
    static func highlight(_ text: String, isSIP: Bool) -> [StyledLine] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.flatMap { $0 == "\t" ? Array("    ") : [$0] })
        }
        if lines.last == "" { lines.removeLast() }
        guard isSIP else { return lines.map { StyledLine($0) } }
        var out: [StyledLine] = []
        var inBody = false
        var isSDP = false
        for (i, line) in lines.enumerated() {
            if i == 0 {
                if line.hasPrefix("SIP/2.0 ") {
                    var l = StyledLine("SIP/2.0 ")
                    let status = UInt16(line.dropFirst(8).prefix(3)) ?? 0
                    l.append(String(line.dropFirst(8)), role: .sip(status: status), attributes: .bold)
                    out.append(l)
                } else {
                    let method = line.prefix { $0 != " " }
                    var l = StyledLine(String(method), role: .sipMethod, attributes: .bold)
                    l.append(String(line.dropFirst(method.count)))
                    out.append(l)
                }
                continue
            }
            if !inBody && line.isEmpty {
                inBody = true
                out.append(StyledLine())
                continue
            }
            if inBody {
                if isSDP, line.count >= 2, line.dropFirst().first == "=" {
                    var l = StyledLine(String(line.prefix(2)), role: .sipBody, attributes: .bold)
                    l.append(String(line.dropFirst(2)), role: .sipBody)
                    out.append(l)
                } else {
                    out.append(StyledLine(line))
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" ") else {
                out.append(StyledLine(line))
                continue
            }
            let name = line[..<colon]
            if ["content-type", "c"].contains(name.lowercased()), line.lowercased().contains("application/sdp") { isSDP = true }
            var l = StyledLine(String(name), role: .sipHeader, attributes: .bold)
            l.append(":")
            appendValue(String(line[line.index(after: colon)...]), to: &l)
            out.append(l)
        }
        return out
    }

    /// Header value with `tag=` and `branch=` parameters picked out.
    static func appendValue(_ value: String, to line: inout StyledLine) {
        var rest = Substring(value)
        while let r = rest.range(of: ";tag=") ?? rest.range(of: ";branch=") {
            // Take whichever parameter comes first.
            let tag = rest.range(of: ";tag="), branch = rest.range(of: ";branch=")
            let first = [tag, branch].compactMap { $0 }.min { $0.lowerBound < $1.lowerBound } ?? r
            line.append(String(rest[..<first.lowerBound]))
            line.append(";")
            var end = first.upperBound
            while end < rest.endIndex, rest[end] != ";", rest[end] != ">", rest[end] != "," , rest[end] != " " {
                end = rest.index(after: end)
            }
            line.append(String(rest[rest.index(after: first.lowerBound)..<end]), role: .sipParameter, attributes: .bold)
            rest = rest[end...]
        }
        line.append(String(rest))
    }
}
