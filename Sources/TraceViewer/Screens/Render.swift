import CaptureIngest
import TraceModel
import TraceOutput

/// Screens are functions of the state into a cell grid; nothing here touches a terminal.
public enum Renderer {
    public static func render(_ state: ViewerState, model: ViewerModel) -> CellGrid {
        var grid = CellGrid(width: state.width, height: state.height, asciiOnly: state.options.glyphs.isASCII)
        guard state.width >= 20, state.height >= 6 else {
            grid.put("window too small", x: 0, y: 0)
            return grid
        }
        let screen = state.top
        let area = Area(y: 1, height: state.height - 3)
        switch screen.kind {
        case .groups: GroupsScreen.draw(&grid, state, screen, model, area)
        case .calls(let scope): CallsScreen.draw(&grid, state, screen, scope, model, area)
        case .ladder(let scope): LadderScreen.draw(&grid, state, screen, scope, model, area)
        case .message(let m): MessageScreen.draw(&grid, state, screen, m, model, area)
        case .diff(let a, let b): DiffScreen.draw(&grid, state, screen, a, b, model, area)
        }
        drawTitle(&grid, state, model)
        drawHints(&grid, state)
        drawStatus(&grid, state, model)
        if state.showHelp { HelpOverlay.draw(&grid, state) }
        if let d = state.saveDialog { SaveDialogOverlay.draw(&grid, state, d, model) }
        return grid
    }

    /// The rows between the title bar and the hint line.
    struct Area {
        var y: Int
        var height: Int
    }

    static func title(of screen: ScreenState, _ state: ViewerState, _ model: ViewerModel) -> String {
        let s = model.store
        switch screen.kind {
        case .groups:
            let n = model.groupRows(filter: state.filter).count
            return "Test sessions (\(n))"
        case .calls(let scope):
            // How many calls are listed, and with a filter, of how many.
            let shown = model.callRows(scope: scope, sort: screen.sort, descending: screen.descending, filter: state.filter).count
            var name = "All calls"
            var total = s.calls.count
            if case .group(let g) = scope {
                name = "Calls of " + model.groupName(g)
                total = g < s.groups.count ? s.groups[g].calls.count : 0
            }
            return name + (state.filter == nil ? " (\(Format.count(shown)))" : " (\(Format.count(shown)) of \(Format.count(total)))")
        case .ladder(.group(let g)):
            return "Ladder of " + model.groupName(g)
        case .ladder(.calls(let calls)):
            if calls.count == 1, Int(calls[0]) < s.calls.count {
                return "Ladder of " + SafeText.line(s.strings.string(s.calls[Int(calls[0])].callID))
            }
            return "Ladder of \(calls.count) calls"
        case .message(let m):
            return "Message: " + (s.messages[Int(m)].isSIP ? s.label(ofMessage: m) : "event") + " (frame \(s.messages[Int(m)].frame))"
        case .diff(let a, let b):
            return "Diff: frame \(s.messages[Int(a)].frame) \(state.options.glyphs.rightwards) frame \(s.messages[Int(b)].frame)"
        }
    }

    static func drawTitle(_ grid: inout CellGrid, _ state: ViewerState, _ model: ViewerModel) {
        grid.fill(y: 0, role: .title)
        var flags: [String] = []
        if state.follow { flags.append("FOLLOW") }
        if let f = state.filter { flags.append("filter: " + SafeText.line(f.expression)) }
        if let s = state.search { flags.append("search: " + SafeText.line(s)) }
        let right = flags.isEmpty ? "" : " " + flags.map { "[\($0)]" }.joined(separator: " ") + " "
        let rightWidth = min(CellWidth.of(right), state.width / 2)
        let left = " hepscope \(state.options.glyphs.separator) " + title(of: state.top, state, model)
        grid.put(CellWidth.truncate(left, to: state.width - rightWidth - 1, ellipsis: state.options.glyphs.ellipsis),
                 x: 0, y: 0, role: .title, attributes: .bold)
        let r = CellWidth.truncate(right, to: rightWidth, ellipsis: state.options.glyphs.ellipsis)
        grid.put(r, x: state.width - CellWidth.of(r), y: 0, role: .title, attributes: .bold)
    }

    /// The keys of a screen, most used first; "? help" and the way back always come last.
    static func hints(for kind: ScreenKind, wrapping: Bool = true) -> [String] {
        switch kind {
        case .groups: ["Enter calls", "a all", "v ladder", "f filter", "/ search", "F follow", "? help", "q quit"]
        case .calls: ["Enter ladder", "Space select", "s sort", "f filter", "/ search", "F follow", "? help", "q back"]
        case .ladder: ["Enter message", "Space d diff", "m ports", "t time", "h/l scroll", "? help", "q back"]
        case .message: wrapping ? ["j/k scroll", "W cut lines", "/ search", "n next", "? help", "q back"]
            : ["j/k scroll", "h/l sideways", "W wrap lines", "/ search", "n next", "? help", "q back"]
        case .diff: ["j/k scroll", "h/l sideways", "? help", "q back"]
        }
    }

    /// The hints that fit in `width`: the least used go first, never help or the way back (the
    /// help screen lists every key), so no hint is ever shown cut.
    static func hintLine(for kind: ScreenKind, width: Int, wrapping: Bool = true) -> String {
        var items = hints(for: kind, wrapping: wrapping)
        func line() -> String { " " + items.joined(separator: "  ") }
        while CellWidth.of(line()) > width, items.count > 2 { items.remove(at: items.count - 3) }
        return line()
    }

    static func drawHints(_ grid: inout CellGrid, _ state: ViewerState) {
        let y = state.height - 2
        grid.fill(y: y, role: .hint)
        if let p = state.prompt {
            let label = p.purpose == .filter ? "Filter: " : "Search: "
            let end = grid.put(label, x: 0, y: y, role: .prompt, attributes: .bold)
            // Each typed character as shown (made safe), and the first one in view: from the
            // start when all fit, else so that the cursor is in view.
            let shown = p.text.map { SafeText.line(String($0)) }
            let widths = shown.map { CellWidth.of($0) }
            let room = max(1, state.width - end - 1)
            let cursor = min(max(0, p.cursor), shown.count)
            var first = 0
            // Room for everything before the cursor and the cell(s) under it (a wide character,
            // or an escape such as \x07, takes more than one).
            let underCursor = cursor < widths.count ? widths[cursor] : 1
            while first < cursor, widths[first..<cursor].reduce(0, +) + underCursor > room { first += 1 }
            var x = end
            for k in first..<shown.count {
                guard x + widths[k] <= end + room else { break }
                if k == cursor { grid.put(shown[k], x: x, y: y, role: .prompt, attributes: .reverse) }
                else { grid.put(shown[k], x: x, y: y, role: .prompt) }
                x += widths[k]
            }
            if cursor == shown.count {
                grid.put(" ", x: end + widths[first..<cursor].reduce(0, +), y: y, role: .prompt, attributes: .reverse)
            }
            if let e = p.error {
                // The caret under the place the error names (or the prompt's start, if scrolled
                // out of view); the message beside it when it fits, else wrapped on the rows above.
                let position = min(max(0, e.position), shown.count)
                let caretX = position < first ? end : min(state.width - 1, end + widths[first..<position].reduce(0, +))
                grid.fill(y: y - 1, role: .error)
                let message = "column \(e.position + 1): \(e.message)"
                let w = CellWidth.of(message)
                if caretX + 2 + w <= state.width {
                    grid.put("^ " + message, x: caretX, y: y - 1, role: .error, attributes: .bold)
                } else if caretX >= w + 2 {
                    grid.put(message + " ^", x: caretX - w - 1, y: y - 1, role: .error, attributes: .bold)
                } else {
                    grid.put("^", x: caretX, y: y - 1, role: .error, attributes: .bold)
                    let lines = CellWidth.wrapped(" " + message, width: state.width)
                    // At most the rows above the caret that the list leaves (the title stays).
                    for (i, line) in lines.prefix(max(1, y - 3)).reversed().enumerated() {
                        grid.fill(y: y - 2 - i, role: .error)
                        grid.put(line, x: 0, y: y - 2 - i, role: .error, attributes: .bold)
                    }
                }
            }
            return
        }
        if let n = state.notice {
            grid.put(CellWidth.truncate(" " + n, to: state.width, ellipsis: state.options.glyphs.ellipsis), x: 0, y: y,
                     role: .accent, attributes: .bold)
            return
        }
        grid.put(CellWidth.truncate(hintLine(for: state.top.kind, width: state.width, wrapping: state.options.wrapLines), to: state.width,
                                    ellipsis: state.options.glyphs.ellipsis), x: 0, y: y, role: .hint)
    }

    /// Sources with their counters, what was dropped, the model's memory, and load progress.
    static func drawStatus(_ grid: inout CellGrid, _ state: ViewerState, _ model: ViewerModel) {
        let y = state.height - 1
        let g = state.options.glyphs
        grid.fill(y: y, role: .statusBar)
        let session = model.session
        let separator = " \(g.separator) "
        // The totals always show; the sources take what room is left, in a shorter form if need
        // be, cut last.
        var totals: [String] = []
        // Lost on the way in (a listener's backlog full, a wrong key...) and let go by the
        // memory budget are told apart: the first is data never seen, the second data aged out.
        let droppedOnTheWayIn = session.sources.reduce(0) { $0 + $1.counters.dropped }
        totals.append("dropped \(Format.count(droppedOnTheWayIn))")
        if model.store.counters.evictedMessages > 0 {
            totals.append("evicted \(Format.count(model.store.counters.evictedMessages))")
        }
        totals.append("mem \(Format.bytes(model.store.memoryInUse))")
        // After the two that always show: on a narrow line it is cut first.
        if let relay = session.relay {
            totals.append("relay \(Format.count(relay.forwarded)) sent" + (relay.dropped > 0 ? ", \(Format.count(relay.dropped)) lost" : ""))
        }
        // An eviction being rebuilt aside, or what came in meanwhile not all in yet: new data
        // shows up once it is done.
        if model.hasHeldWork { totals.append("freeing memory") }
        // A bar for files still loading; "live" for sources that keep delivering.
        var progress: String?
        if let loading = session.sources.first(where: { $0.kind == .file && !$0.finished }), let p = loading.progress {
            let barWidth = 12
            let full = Int((p * Double(barWidth)).rounded(.down))
            let bar = String(repeating: g.progressFull, count: full) + String(repeating: g.progressEmpty, count: barWidth - full)
            progress = " loading \(Format.fixed(p * 100, 0))% \(bar) "
        } else if session.sources.contains(where: { $0.kind == .listener && !$0.finished }) {
            totals.append("live")
        }
        let end = separator + totals.joined(separator: separator)
        let room = max(0, state.width - CellWidth.of(progress ?? "") - CellWidth.of(end) - 1)
        var sources = session.sources.map { sourceStatus($0, short: false) }.joined(separator: separator)
        if CellWidth.of(sources) > room { sources = session.sources.map { sourceStatus($0, short: true) }.joined(separator: separator) }
        if CellWidth.of(sources) > room { sources = listenersTogether(session.sources).joined(separator: separator) }
        if session.sources.isEmpty { sources = "no source" }
        let line = " " + CellWidth.truncate(sources, to: room, ellipsis: g.ellipsis) + end
        let lineRoom = state.width - CellWidth.of(progress ?? "")
        grid.put(CellWidth.truncate(line, to: max(0, lineRoom), ellipsis: g.ellipsis), x: 0, y: y, role: .statusBar)
        if let progress { grid.put(progress, x: max(0, lineRoom), y: y, role: .progress, attributes: .bold) }
    }

    /// One source in the status line: "capture.pcap: 280 rx, 0 malformed", a listener with its
    /// receive rate and what it dropped (full queue, wrong key...). `short`: "udp:9060 280 rx",
    /// and the problems only when there are any.
    static func sourceStatus(_ src: TraceSession.Source, short: Bool) -> String {
        var shown = src.name
        if src.kind == .file {
            shown = src.name.split(separator: "/").last.map(String.init) ?? src.name
        } else if short, let scheme = src.name.range(of: "://"), let colon = src.name.lastIndex(of: ":"), colon > scheme.upperBound {
            // "udp://127.0.0.1:9060" as "udp:9060".
            shown = String(src.name[..<scheme.lowerBound]) + String(src.name[colon...]).prefix { $0 != "?" }
        }
        let name = SafeText.line(shown)
        if let f = src.failure {
            // A listener's failure names its URL, which `name` already shows.
            let why = f.hasPrefix(src.name + ": ") ? String(f.dropFirst(src.name.count + 2)) : f
            return "\(name): " + SafeText.line(why)
        }
        var text = short ? "\(name) \(Format.count(src.counters.packets)) rx" : "\(name): \(Format.count(src.counters.packets)) rx"
        if src.kind == .listener { text += " \(Format.count(Int(src.rate.rounded())))/s" }
        if !short || src.counters.malformed > 0 { text += ", \(Format.count(src.counters.malformed)) malformed" }
        if src.counters.dropped > 0 { text += ", \(Format.count(src.counters.dropped)) dropped" }
        return text
    }

    /// The sources when even their short forms do not fit: the listeners as one
    /// ("3 listeners 1,200 rx 400/s"), their problems added up; files and failures as before.
    static func listenersTogether(_ sources: [TraceSession.Source]) -> [String] {
        let working = sources.filter { $0.kind == .listener && $0.failure == nil }
        guard working.count > 1 else { return sources.map { sourceStatus($0, short: true) } }
        let packets = working.reduce(0) { $0 + $1.counters.packets }
        let rate = working.reduce(0.0) { $0 + $1.rate }
        let malformed = working.reduce(0) { $0 + $1.counters.malformed }
        let dropped = working.reduce(0) { $0 + $1.counters.dropped }
        var together = "\(working.count) listeners \(Format.count(packets)) rx \(Format.count(Int(rate.rounded())))/s"
        if malformed > 0 { together += ", \(Format.count(malformed)) malformed" }
        if dropped > 0 { together += ", \(Format.count(dropped)) dropped" }
        let others = sources.filter { $0.kind != .listener || $0.failure != nil }.map { sourceStatus($0, short: true) }
        return [together] + others
    }

    /// Column titles on the first row of a list.
    static func drawHeader(_ grid: inout CellGrid, _ columns: [TableColumn], _ fitted: [FittedColumn], y: Int,
                           x: Int = 0, glyphs: Glyphs, sortedBy: Int? = nil, descending: Bool = false) {
        grid.fill(y: y, role: .header)
        let arrow = glyphs.isASCII ? (descending ? "v" : "^") : (descending ? "▼" : "▲")
        for f in fitted {
            var title = columns[f.index].title
            if sortedBy == f.index {
                // The arrow stays when the title is cut: it says which column orders the rows. A
                // right-aligned column has it first, so that its title's end stays over the figures'.
                let cut = CellWidth.truncate(title, to: max(0, f.width - 1), ellipsis: "")
                title = f.rightAligned ? arrow + cut : cut + arrow
            }
            grid.putCell(title, column: f, y: y, originX: x, glyphs: glyphs, role: .header, attributes: .bold)
        }
        if let sortedBy, sortedBy < columns.count, !fitted.contains(where: { $0.index == sortedBy }) {
            // Sorted by a column too wide for the screen: said at the header's end instead, in
            // the room the titles leave (cut there rather than over a title).
            let titlesEnd = fitted.map { f in
                x + f.x + (f.rightAligned ? f.width : min(f.width, CellWidth.of(columns[f.index].title)))
            }.max() ?? x
            let room = grid.width - titlesEnd - 1
            let note = CellWidth.truncate("by \(columns[sortedBy].title)", to: max(0, room - CellWidth.of(arrow)),
                                          ellipsis: glyphs.ellipsis) + arrow
            if room >= 4 {
                grid.put(note, x: grid.width - CellWidth.of(note), y: y, role: .header, attributes: .bold)
            }
        }
    }
}
