import TraceOutput

/// The save dialog, drawn as a box over the current screen.
enum SaveDialogOverlay {
    static func lines(_ d: SaveDialog, _ model: ViewerModel, _ state: ViewerState) -> [String] {
        let choice = d.choices[d.choice]
        let count = model.messageCount(of: choice.scope, filter: state.filter)
        let what = "\(choice.label) (\(count) message\(count == 1 ? "" : "s"))"
        let arrows = d.choices.count > 1 ? (state.options.glyphs.isASCII ? ("< ", " >") : ("◀ ", " ▶")) : ("", "")
        let format = d.format.map { "\($0.rawValue) (from the extension)" }
            ?? "? - end the name with .pcap .pcapng .txt .json .ladder.txt .mmd .svg or .html"
        var out = [
            "Save",
            "",
            "What:   " + arrows.0 + what + arrows.1,
            "File:   " + SafeText.line(d.path),
            "Format: " + format,
        ]
        if let e = d.error { out += ["", "! " + e] }
        out += ["", "left/right: what to save   type: file name   Enter: save   Esc: cancel"]
        return out
    }

    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ d: SaveDialog, _ model: ViewerModel) {
        let g = state.options.glyphs
        let raw = lines(d, model, state)
        let w = min(state.width - 2, max(60, (raw.map { CellWidth.of($0) }.max() ?? 40) + 4))
        let inner = max(8, w - 4)
        var text: [String] = []
        var errorLines = Set<Int>()
        for line in raw {
            if line.hasPrefix("File:") {
                text.append(fittedFileLine(line, width: inner - 1, ellipsis: g.ellipsis))
            } else if line.hasPrefix("What:"), CellWidth.of(line) > inner {
                // The choice's name gives way, so its message count and arrows stay in view: its
                // middle goes, so that the end of a session's id (what tells sessions of one run
                // apart) stays.
                let label = d.choices[d.choice].label
                let over = CellWidth.of(line) - inner
                let keep = max(2, CellWidth.of(label) - over - CellWidth.of(g.ellipsis))
                let chars = Array(label)
                let tail = keep / 2, head = keep - tail
                let cut = String(chars.prefix(head)) + g.ellipsis + String(chars.suffix(tail))
                text.append(line.replacingOccurrences(of: label, with: cut))
            } else {
                // Any other line too long for the box (the reason a save failed, what an unknown
                // extension should be, the keys at a narrow width) goes on over more lines
                // rather than being cut.
                let lines = CellWidth.wrapped(line, width: inner)
                if line.hasPrefix("! ") { errorLines.formUnion(text.count..<text.count + lines.count) }
                text += lines
            }
        }
        let h = min(state.height - 2, text.count + 2)
        let x = max(0, (state.width - w) / 2), y = max(0, (state.height - h) / 2)
        grid.drawBox(x: x, y: y, width: w, height: h, glyphs: g)
        for i in 1..<(h - 1) {
            guard i - 1 < text.count else { continue }
            let line = text[i - 1]
            let role: ColorRole = errorLines.contains(i - 1) ? .error : .prompt
            let end = grid.put(line, x: x + 2, y: y + i, limit: x + w - 1, role: role, attributes: i == 1 ? .bold : [])
            if line.hasPrefix("File:") { grid.put(" ", x: min(end, x + w - 2), y: y + i, role: .prompt, attributes: .reverse) }
        }
    }

    /// The file name's line within `width` cells: a name too long keeps its end, where the
    /// user types, after an ellipsis.
    static func fittedFileLine(_ line: String, width: Int, ellipsis: String) -> String {
        guard CellWidth.of(line) > width else { return line }
        let label = "File:   "
        var name = Substring(line.dropFirst(label.count))
        let room = max(1, width - CellWidth.of(label) - CellWidth.of(ellipsis))
        while CellWidth.of(String(name)) > room, !name.isEmpty { name = name.dropFirst() }
        return label + ellipsis + name
    }
}
