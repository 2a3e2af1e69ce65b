import TraceModel
import TraceOutput
import WireDecoding

/// The ladder (call flow) of one call, several calls or a whole group: one column per endpoint,
/// one row per message, HEP events as notes; the selected message beside it when there is room.
enum LadderScreen {
    struct Geometry {
        var timeWidth: Int
        var x0: Int
        var columnWidth: Int
        var first: Int
        var visible: Int
        var count: Int
        var infoX: Int
        var infoWidth: Int
        var previewX: Int?
        var end: Int

        /// A lone column (every port of one host merged) stands at the left, its loops to the right.
        var lone: Bool { count == 1 && columnWidth >= 40 }

        func center(_ c: Int) -> Int { lone ? x0 + 4 : x0 + (c - first) * columnWidth + columnWidth / 2 }
    }

    static func geometry(_ ladder: Ladder, _ state: ViewerState, column: Int) -> Geometry {
        // The CSeq column: 11 cells ("1 INVITE"), up to 20 for long numbers and methods when
        // that costs nothing else: no endpoint column, no width of theirs, not the message pane.
        let narrow = geometry(ladder, state, column: column, infoWidth: 11)
        let wanted = min(20, max(11, ladder.longestCSeq + 2))
        guard wanted > 11 else { return narrow }
        let wide = geometry(ladder, state, column: column, infoWidth: wanted)
        let same = wide.visible == narrow.visible && wide.columnWidth == narrow.columnWidth
            && (wide.previewX == nil) == (narrow.previewX == nil)
        return same ? wide : narrow
    }

    static func geometry(_ ladder: Ladder, _ state: ViewerState, column: Int, infoWidth: Int) -> Geometry {
        let w = state.width
        let timeWidth = state.options.timeMode == .absolute ? (w >= 110 ? 15 : 12) : 9
        let x0 = 1 + timeWidth + 2
        let n = max(1, ladder.columns.count)
        let longest = ladder.columns.map { CellWidth.of($0) }.max() ?? 14
        // A lone column (ports merged on one host) leaves room for the labels of its loops.
        var natural = n == 1 ? 44 : min(max(18, longest + 3), 28)
        let room = w - x0 - infoWidth
        // Two endpoints side by side are worth narrower columns (names are cut to fit; long
        // IPv6 ones lose their middle), so that an arrow has both its ends.
        if n >= 2, room / natural < 2 { natural = max(16, room / 2) }
        let visible = max(1, min(n, room / natural))
        // Columns grow to fill the width, unless the message can be shown beside them.
        let previewFits = visible == n && w - (x0 + n * natural + infoWidth) >= 34
        let columnWidth = visible == n ? (previewFits ? natural : max(natural, min(30, room / n))) : max(12, room / visible)
        let first = min(max(0, column), n - visible)
        let ladderEnd = x0 + visible * columnWidth
        var previewX: Int?
        var end = ladderEnd + infoWidth
        if w - end >= 34 {
            previewX = end + 1
        } else {
            end = w
        }
        return Geometry(timeWidth: timeWidth, x0: x0, columnWidth: columnWidth, first: first, visible: visible, count: n,
                        infoX: ladderEnd, infoWidth: infoWidth, previewX: previewX, end: end)
    }

    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ screen: ScreenState, _ scope: LadderScope,
                     _ model: ViewerModel, _ area: Renderer.Area) {
        let g = state.options.glyphs
        let ladder = model.ladder(scope, as: state)
        let geo = geometry(ladder, state, column: screen.column)
        let byTransaction = state.options.colourByTransaction ?? (ladder.callOrdinal.count <= 1)

        // Column titles (and the ports of merged hosts).
        let headerRows = ladder.aliases.isEmpty ? 1 : 2
        grid.fill(y: area.y, height: headerRows, role: .header)
        // "since start" is wider than its 9-cell column: said shorter there, clear of the mark
        // that says columns are scrolled out on the left.
        let timeTitle = state.options.timeMode == .sinceStart && geo.timeWidth < 11 ? "since 0" : state.options.timeMode.name
        grid.put(timeTitle, x: 1, y: area.y, role: .header, attributes: .bold)
        for c in geo.first..<max(geo.first, min(ladder.columns.count, geo.first + geo.visible)) {
            let name = Format.endpoint(ladder.columns[c], width: geo.columnWidth - 1, glyphs: g)
            let x = max(geo.x0 - 1, geo.center(c) - CellWidth.of(name) / 2)
            grid.put(name, x: x, y: area.y, role: .header, attributes: .bold)
            if headerRows == 2 {
                let alias = CellWidth.truncate(ladder.aliases[c], to: geo.columnWidth - 1, ellipsis: g.ellipsis)
                grid.put(alias, x: max(geo.x0 - 1, geo.center(c) - CellWidth.of(alias) / 2), y: area.y + 1, role: .header)
            }
        }
        if geo.first > 0 { grid.put(g.arrowLeft, x: geo.x0 - 1, y: area.y, role: .accent, attributes: .bold) }
        if geo.first + geo.visible < ladder.columns.count {
            grid.put(g.arrowRight, x: geo.infoX, y: area.y, role: .accent, attributes: .bold)
        }
        grid.put("CSeq", x: geo.infoX + 2, y: area.y, limit: geo.infoX + geo.infoWidth, role: .header, attributes: .bold)

        let bodyY = area.y + headerRows
        let rows = ladder.rows
        // A ladder cut short says so on a row of its own, under the last message drawn.
        let bodyHeight = area.height - headerRows - (ladder.omitted > 0 ? 1 : 0)
        if rows.isEmpty {
            grid.put("no messages", x: 2, y: bodyY + 1, role: .dim)
            return
        }
        let cursor = screen.cursor.flatMap { id in rows.firstIndex { $0.message == Int32(id) } } ?? 0
        let top = ListGeometry.top(count: rows.count, cursorIndex: cursor, anchor: screen.anchor, height: bodyHeight)
        let visibleColumns = geo.first..<max(geo.first, min(ladder.columns.count, geo.first + geo.visible))
        let firstTime = rows[0].time
        for i in top..<max(top, min(rows.count, top + bodyHeight)) {
            let y = bodyY + i - top
            let row = rows[i]
            // Time, as chosen with `t`.
            let time: String
            switch state.options.timeMode {
            case .absolute: time = geo.timeWidth == 15 ? Format.clockMicros(row.time) : Format.clockMillis(row.time)
            case .delta: time = Format.delta(i == 0 ? 0 : row.time.nanoseconds - rows[i - 1].time.nanoseconds)
            case .sinceStart: time = Format.delta(row.time.nanoseconds - firstTime.nanoseconds)
            }
            grid.put(time, x: 1, y: y, role: .dim)
            if row.isRetransmission { grid.put(g.retransmission, x: 1 + geo.timeWidth + 1, y: y, role: .retransmission, attributes: .bold) }
            if screen.marked.contains(row.message) { grid.put(g.mark, x: 0, y: y, role: .marked, attributes: .bold) }
            for c in visibleColumns { grid.put(g.vertical, x: geo.center(c), y: y, role: .dim) }
            if row.isEvent {
                let note = g.note + " " + row.label
                grid.put(CellWidth.truncate(note, to: geo.infoX + geo.infoWidth - geo.x0, ellipsis: g.ellipsis),
                         x: geo.x0, y: y, role: .event, attributes: .bold)
            } else {
                drawArrow(&grid, row, y: y, geo: geo, glyphs: g,
                          role: ColorRole.palette[(byTransaction ? row.transaction : ladder.callOrdinal[row.call] ?? 0) % 6])
                grid.put(CellWidth.truncate(row.cseq, to: geo.infoWidth - 2, ellipsis: g.ellipsis), x: geo.infoX + 2, y: y,
                         role: .dim)
            }
            if i == cursor { grid.paint(y: y, from: 0, to: geo.end, adding: .reverse) }
        }
        if ladder.omitted > 0 {
            let y = area.y + area.height - 1
            let total = Format.count(rows.count + ladder.omitted)
            let notice = " first \(Format.count(rows.count)) of \(total) messages drawn; the rest: a filter, or a call list"
            grid.fill(y: y, role: .normal)
            grid.put(CellWidth.truncate(notice, to: state.width, ellipsis: g.ellipsis), x: 0, y: y, role: .accent, attributes: .bold)
        }
        if let px = geo.previewX {
            for y in area.y..<(area.y + max(0, area.height)) { grid.put(g.vertical, x: px - 1, y: y, role: .dim) }
            let text = model.messageText(rows[cursor].message, glyphs: g, captureTime: false)
            // The pane scrolls neither way: the SIP text's long lines wrap when all of it then
            // still fits, else they are cut as the facts above are (Enter shows it whole).
            let wrapped = text.body.wrapped(width: state.width - px, mark: g.continuation)
            let body = text.facts.count + 1 + wrapped.count <= area.height ? wrapped : text.body
            let lines = text.facts + [StyledLine()] + body
            MessageScreen.drawLines(&grid, lines, x: px, y: area.y, width: state.width - px, height: area.height,
                                    top: 0, column: 0, glyphs: g, search: state.search)
        }
    }

    /// Labels may carry an arrow (merged ports); ASCII terminals get "->".
    static func glyphs(_ g: Glyphs, _ label: String) -> String {
        g.isASCII ? String(label.flatMap { $0 == "\u{2192}" ? Array("->") : [$0] }) : label
    }

    static func drawArrow(_ grid: inout CellGrid, _ row: Ladder.Row, y: Int, geo: Geometry, glyphs g: Glyphs, role: ColorRole) {
        let left = geo.x0, right = geo.infoX - 1
        let a = geo.center(row.from), b = geo.center(row.to)
        let labelAttributes: CellAttributes = row.labelRole == .request ? .bold : []
        if a == b {
            // A message to itself: a short loop to the right.
            for x in a + 1...a + 3 { grid.put(g.horizontal, x: x, y: y, limit: right, role: role) }
            grid.put(g.arrowLeft, x: a + 4, y: y, limit: right, role: role)
            let label = glyphs(g, row.label)
            grid.put(CellWidth.truncate(label, to: max(0, right - a - 6), ellipsis: g.ellipsis), x: a + 6, y: y, limit: right,
                     role: row.labelRole, attributes: labelAttributes)
            return
        }
        let lo = max(min(a, b), left - 1), hi = min(max(a, b), right + 1)
        guard lo < hi else { return }
        for x in max(lo + 1, left)...min(hi - 1, right) { grid.put(g.horizontal, x: x, y: y, role: role) }
        if b > a {
            if b <= right { grid.put(g.arrowRight, x: hi - 1, y: y, role: role, attributes: .bold) }
        } else if b >= left {
            grid.put(g.arrowLeft, x: lo + 1, y: y, role: role, attributes: .bold)
        }
        // Keep a line on each side of the label so the arrow stays readable.
        let from = max(lo + 2, left), to = min(hi - 2, right)
        let space = to - from
        guard space > 2 else { return }
        let label = CellWidth.truncate(row.label, to: space, ellipsis: g.ellipsis)
        let start = from + (space - CellWidth.of(label)) / 2
        grid.put(label, x: start, y: y, limit: to, role: row.labelRole, attributes: labelAttributes)
    }
}
