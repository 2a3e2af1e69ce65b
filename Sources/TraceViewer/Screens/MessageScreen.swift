import TraceModel
import TraceOutput

/// One message in full: HEP and capture facts, then the SIP text, coloured.
enum MessageScreen {
    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ screen: ScreenState, _ m: Int32,
                     _ model: ViewerModel, _ area: Renderer.Area) {
        let lines = model.messageLines(m, state)
        drawLines(&grid, lines, x: 1, y: area.y, width: state.width - 1, height: area.height,
                  top: screen.cursor ?? 0, column: screen.column, glyphs: state.options.glyphs, search: state.search)
    }

    /// Draws styled lines from line `top` and text column `column`, marking search matches.
    static func drawLines(_ grid: inout CellGrid, _ lines: [StyledLine], x: Int, y: Int, width: Int, height: Int,
                          top: Int, column: Int, glyphs: Glyphs, search: String?) {
        let needle = search?.lowercased()
        for i in 0..<height {
            let index = top + i
            guard index >= 0, index < lines.count else { break }
            var skip = column
            var col = x
            for span in lines[index].spans {
                var text = Substring(span.text)
                while skip > 0, !text.isEmpty { text = text.dropFirst(); skip -= 1 }
                col = grid.put(text, x: col, y: y + i, limit: x + width, role: span.role, attributes: span.attributes)
            }
            if CellWidth.of(lines[index].text) - column > width {
                grid.put(glyphs.ellipsis, x: x + width - 1, y: y + i, role: .dim)
            }
            if let needle, !needle.isEmpty {
                // Match positions in characters, shown by underlining and reversing the cells.
                let chars = Array(lines[index].text.lowercased())
                let n = Array(needle)
                var k = 0
                while k + n.count <= chars.count {
                    if Array(chars[k..<k + n.count]) == n {
                        let from = x + k - column
                        grid.paint(y: y + i, from: max(x, from), to: min(x + width, from + n.count), adding: [.reverse, .underline])
                        k += n.count
                    } else {
                        k += 1
                    }
                }
            }
        }
    }
}

/// Two selected messages side by side, with the lines that differ marked.
enum DiffScreen {
    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ screen: ScreenState, _ a: Int32, _ b: Int32,
                     _ model: ViewerModel, _ area: Renderer.Area) {
        let g = state.options.glyphs
        let s = model.store
        let d = model.diff(a, b, glyphs: g)
        let half = (state.width - 1) / 2
        grid.fill(y: area.y, role: .header)
        for (x, m) in [(0, a), (half + 1, b)] {
            let r = s.messages[Int(m)]
            let title = " frame \(r.frame)  \(Format.clockMicros(r.time))  \(s.label(ofMessage: m))"
            grid.put(CellWidth.truncate(title, to: half, ellipsis: g.ellipsis), x: x, y: area.y, role: .header, attributes: .bold)
        }
        let top = screen.cursor ?? 0
        for i in 0..<(area.height - 1) {
            let index = top + i
            guard index < d.rows.count else { break }
            let row = d.rows[index]
            let y = area.y + 1 + i
            let leftRole: ColorRole, rightRole: ColorRole
            switch row.kind {
            case .same: (leftRole, rightRole) = (.normal, .normal)
            case .changed: (leftRole, rightRole) = (.diffRemoved, .diffAdded)
            case .onlyLeft: (leftRole, rightRole) = (.diffRemoved, .normal)
            case .onlyRight: (leftRole, rightRole) = (.normal, .diffAdded)
            }
            let marker = row.kind == .same ? " " : g.mark
            grid.put(row.kind == .same ? " " : marker, x: 0, y: y, role: leftRole)
            // Left and right scroll both sides together, so that long lines (a Via's branch, a
            // tag) can be read to their end.
            let left = shifted(row.left ?? "", by: screen.column), right = shifted(row.right ?? "", by: screen.column)
            grid.put(CellWidth.truncate(left, to: half - 1, ellipsis: g.ellipsis), x: 1, y: y, role: leftRole,
                     attributes: row.kind == .same ? [] : .bold)
            grid.put(g.vertical, x: half, y: y, role: .dim)
            // As wide as the left side, so that the two read line for line (and scroll alike).
            grid.put(CellWidth.truncate(right, to: half - 1, ellipsis: g.ellipsis), x: half + 2, y: y,
                     role: rightRole, attributes: row.kind == .same ? [] : .bold)
        }
    }
}

/// `text` without its first `column` cells.
private func shifted(_ text: String, by column: Int) -> String {
    guard column > 0 else { return text }
    var skipped = 0
    var rest = Substring(text)
    while skipped < column, let c = rest.first {
        skipped += CellWidth.of(String(c))
        rest = rest.dropFirst()
    }
    return String(rest)
}

/// Every key, drawn over the screen from the key map.
enum HelpOverlay {
    static func lines() -> [String] {
        var out = ["Keys (j/k scroll, any other key closes this help)", ""]
        for b in KeyMap.bindings {
            let keys = b.keys.map(\.name).joined(separator: " ")
            let context = b.context.isEmpty ? "" : "  (\(b.context))"
            out.append(keys.padded(to: 13) + " " + b.help + context)
        }
        out += ["", "Filter: method: status: from: to: callid: corr: src: dst: state: /regex/",
                "        with and, or, not and ( ); e.g. corr:run-1 state:busy or status:5xx"]
        return out
    }

    /// The help's lines as drawn in a box as wide as `state` allows: on a narrow terminal,
    /// lines longer than the box go on below, indented; none is cut.
    static func wrappedLines(_ state: ViewerState) -> (lines: [String], width: Int) {
        let plain = lines()
        let w = min(state.width - 2, (plain.map { CellWidth.of($0) }.max() ?? 40) + 4)
        return (plain.flatMap { CellWidth.wrapped($0, width: max(8, w - 4)) }, w)
    }

    /// The first line shown when the last is at the bottom of the box.
    static func lastTop(_ state: ViewerState) -> Int {
        max(0, wrappedLines(state).lines.count - (state.height - 4))
    }

    static func draw(_ grid: inout CellGrid, _ state: ViewerState) {
        let g = state.options.glyphs
        let (all, w) = wrappedLines(state)
        let text = Array(all.dropFirst(min(state.helpTop, lastTop(state))))
        let h = min(state.height - 2, text.count + 2)
        let x = max(0, (state.width - w) / 2), y = max(0, (state.height - h) / 2)
        grid.drawBox(x: x, y: y, width: w, height: h, glyphs: g)
        for i in 1..<(h - 1) {
            if i - 1 < text.count {
                grid.put(text[i - 1], x: x + 2, y: y + i, limit: x + w - 1, role: .prompt, attributes: i == 1 ? .bold : [])
            }
        }
    }
}

extension CellGrid {
    /// A framed box filled with the prompt colour: the help overlay and the save dialog.
    mutating func drawBox(x: Int, y: Int, width w: Int, height h: Int, glyphs g: Glyphs) {
        // A blank column on each side, so that what the screen had there (a cut line's
        // ellipsis, a ladder's lifeline) does not read as part of the box.
        fill(x: x - 1, y: y, width: 1, height: h)
        fill(x: x + w, y: y, width: 1, height: h)
        fill(x: x, y: y, width: w, height: h, role: .prompt)
        let horizontal = String(repeating: g.horizontal, count: max(0, w - 2))
        put(g.boxTopLeft + horizontal + g.boxTopRight, x: x, y: y, role: .prompt)
        put(g.boxBottomLeft + horizontal + g.boxBottomRight, x: x, y: y + h - 1, role: .prompt)
        for i in 1..<max(1, h - 1) {
            put(g.vertical, x: x, y: y + i, role: .prompt)
            put(g.vertical, x: x + w - 1, y: y + i, role: .prompt)
        }
    }
}
