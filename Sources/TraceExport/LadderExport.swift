import Foundation
import TraceModel
import TraceOutput
import WireDecoding

/// Ladder diagrams to share: Mermaid sequence diagrams (they render in GitHub and GitLab
/// markdown), and a self-contained SVG or HTML ladder whose arrows show the message they stand for.
public enum LadderExport {
    // MARK: Mermaid

    public static func mermaid(_ store: TraceStore, _ selection: ExportSelection) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        let layout = LadderLayout(store: store, messages: selection.messages)
        var out = "sequenceDiagram\n"
        for (i, e) in layout.columns.enumerated() {
            out += "    participant P\(i) as \(mermaidText(e.description))\n"
        }
        for row in layout.rows {
            let r = store.messages[Int(row.message)]
            var label = row.label
            if let cseq = store.cseqText(row.message), r.call >= 0 { label += " (\(cseq))" }
            if r.isRetransmission { label += " [retransmission]" }
            if r.call < 0 {
                let text = store.withPayload(of: r) { SafeText.line($0) }
                out += "    Note over P\(row.from),P\(row.to): \(mermaidText(label + ": " + String(text.prefix(80))))\n"
            } else {
                let arrow = r.isRequest ? "->>" : "-->>"
                out += "    P\(row.from)\(arrow)P\(row.to): \(mermaidText(label))\n"
            }
        }
        return Array(out.utf8)
    }

    /// Mermaid reads ';' and '#' as syntax and a newline ends the statement: entity codes instead.
    static func mermaidText(_ s: String) -> String {
        var out = ""
        for ch in SafeText.line(s) {
            switch ch {
            case ";": out += "#59;"
            case "#": out += "#35;"
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    // MARK: SVG and HTML

    struct Geometry {
        static let columnWidth = 220
        static let rowHeight = 28
        static let top = 60
        static let left = 150
    }

    /// A standalone SVG; each arrow carries its whole message as a tooltip.
    public static func svg(_ store: TraceStore, _ selection: ExportSelection) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        return Array(svgText(store, selection, interactive: false).utf8)
    }

    /// A self-contained HTML page: the ladder, and the raw message of the arrow clicked.
    public static func html(_ store: TraceStore, _ selection: ExportSelection) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        var messages: [String] = []
        for m in selection.messages {
            let r = store.messages[Int(m)]
            var header = "\(TextReport.clock(r.time))  \(store.endpoints[r.source]) -> \(store.endpoints[r.destination])  \(r.transport.name)"
            if let c = store.correlationID(ofMessage: m) { header += "  correlation \(SafeText.line(c))" }
            let body = store.withPayload(of: r) { SafeText.block($0) }
            messages.append(header + "\n\n" + body)
        }
        var json = JSONText()
        json.raw("[")
        for (i, m) in messages.enumerated() {
            if i > 0 { json.raw(",") }
            json.string(m)
        }
        json.raw("]")
        // "</" inside a script would end it early.
        let data = json.text.replacingOccurrences(of: "</", with: "<\\/")
        let title = xml("hepscope ladder: \(selection.description)")
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
            <style>
            body { font-family: sans-serif; margin: 0; display: flex; height: 100vh; }
            #ladder { overflow: auto; flex: 3; border-right: 1px solid #ccc; }
            #message { flex: 2; margin: 0; padding: 12px; overflow: auto; font: 12px monospace; white-space: pre-wrap; background: #f8f8f8; }
            .arrow { cursor: pointer; }
            .arrow:hover text, .arrow.selected text { font-weight: bold; fill: #c00; }
            </style></head>
            <body>
            <div id="ladder">\(svgText(store, selection, interactive: true))</div>
            <pre id="message">Click an arrow to see its message.</pre>
            <script>
            const messages = \(data);
            for (const a of document.querySelectorAll('.arrow')) {
              a.addEventListener('click', () => {
                for (const s of document.querySelectorAll('.arrow.selected')) s.classList.remove('selected');
                a.classList.add('selected');
                document.getElementById('message').textContent = messages[Number(a.dataset.index)];
              });
            }
            </script>
            </body></html>

            """
        return Array(page.utf8)
    }

    static func svgText(_ store: TraceStore, _ selection: ExportSelection, interactive: Bool) -> String {
        let layout = LadderLayout(store: store, messages: selection.messages)
        let g = Geometry.self
        let width = g.left + max(1, layout.columns.count) * g.columnWidth
        let height = g.top + (layout.rows.count + 1) * g.rowHeight
        func x(_ c: Int) -> Int { g.left + c * g.columnWidth + g.columnWidth / 2 }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        s += "viewBox=\"0 0 \(width) \(height)\" font-family=\"monospace\" font-size=\"12\">\n"
        s += "<defs><marker id=\"head\" markerWidth=\"8\" markerHeight=\"8\" refX=\"8\" refY=\"4\" orient=\"auto\">"
        s += "<path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (c, e) in layout.columns.enumerated() {
            s += "<text x=\"\(x(c))\" y=\"\(g.top - 24)\" text-anchor=\"middle\" font-weight=\"bold\">\(xml(e.description))</text>\n"
            s += "<line x1=\"\(x(c))\" y1=\"\(g.top - 14)\" x2=\"\(x(c))\" y2=\"\(height - 6)\" stroke=\"#999\"/>\n"
        }
        for (i, row) in layout.rows.enumerated() {
            let r = store.messages[Int(row.message)]
            let y = g.top + i * g.rowHeight + g.rowHeight / 2
            let index = selection.messages.firstIndex(of: row.message) ?? i
            let colour = r.call < 0 ? "#777" : r.isRequest ? "#1f5fbf" : (r.status >= 400 ? "#bf1f1f" : "#2f8f2f")
            var label = row.label
            if let cseq = store.cseqText(row.message), r.call >= 0 { label += " (\(cseq))" }
            if r.isRetransmission { label += " ↻" }
            // Keep a label within its arrow (about 7 px per character at 12 px monospace).
            let room = max(8, (abs(row.to - row.from) * g.columnWidth) / 7 - 2)
            if row.from != row.to, label.count > room { label = String(label.prefix(room - 1)) + "…" }
            s += "<g class=\"arrow\" data-index=\"\(index)\">"
            if !interactive {
                let tip = store.withPayload(of: r) { SafeText.block($0) }
                s += "<title>\(xml(tip))</title>"
            }
            s += "<text x=\"6\" y=\"\(y + 4)\" fill=\"#555\">\(xml(TextReport.clock(r.time).suffix(15).description))</text>"
            if row.from == row.to {
                s += "<path d=\"M\(x(row.from)),\(y - 6) h30 v12 h-28\" fill=\"none\" stroke=\"\(colour)\" marker-end=\"url(#head)\"/>"
                s += "<text x=\"\(x(row.from) + 36)\" y=\"\(y + 4)\" fill=\"\(colour)\">\(xml(label))</text>"
            } else {
                let dash = r.isRequest ? "" : " stroke-dasharray=\"5,3\""
                s += "<line x1=\"\(x(row.from))\" y1=\"\(y)\" x2=\"\(x(row.to))\" y2=\"\(y)\" stroke=\"\(colour)\"\(dash) marker-end=\"url(#head)\"/>"
                s += "<text x=\"\((x(row.from) + x(row.to)) / 2)\" y=\"\(y - 4)\" text-anchor=\"middle\" fill=\"\(colour)\">\(xml(label))</text>"
            }
            s += "</g>\n"
        }
        s += "</svg>"
        return s
    }

    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    // MARK: text

    public static func text(_ store: TraceStore, _ selection: ExportSelection, ascii: Bool) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        let layout = LadderLayout(store: store, messages: selection.messages)
        return Array(TextLadder.render(layout, glyphs: ascii ? .ascii : .unicode).utf8)
    }
}
