import TraceModel
import TraceOutput

/// The calls of a group (or of all groups), with sngrep's columns; linked legs sit under
/// their A-leg with the header that links them.
enum CallsScreen {
    // Indices match CallSort where a column sorts.
    static let columns: [TableColumn] = [
        TableColumn("Start", width: 12, priority: 1),
        TableColumn("From", width: 8, preferred: 16),
        TableColumn("To", width: 8, preferred: 16),
        TableColumn("Method", width: 7, priority: 2),
        TableColumn("Msgs", width: 4, right: true),
        TableColumn("State", width: 10),
        TableColumn("PDD ms", width: 7, right: true, priority: 1),
        TableColumn("Duration", width: 8, right: true, priority: 2),
        TableColumn("Src → Dst", width: 31, priority: 3),
        TableColumn("Call-ID", width: 20, preferred: 44),
    ]

    static func sortColumn(_ sort: CallSort) -> Int {
        switch sort {
        case .start: 0
        case .from: 1
        case .to: 2
        case .method: 3
        case .messages: 4
        case .state: 5
        case .pdd: 6
        case .duration: 7
        case .source: 8
        case .callID: 9
        }
    }

    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ screen: ScreenState, _ scope: CallsScope,
                     _ model: ViewerModel, _ area: Renderer.Area) {
        let s = model.store
        let g = state.options.glyphs
        var cols = columns
        cols[8].title = "Src \(g.rightwards) Dst"
        let rows = model.callRows(scope: scope, sort: screen.sort, descending: screen.descending, filter: state.filter)
        let bodyHeight = area.height - 1
        let cursor = screen.cursor.flatMap { id in rows.firstIndex { $0.call == Int32(id) } } ?? 0
        let top = ListGeometry.top(count: rows.count, cursorIndex: cursor, anchor: screen.anchor, height: bodyHeight)
        let shown = top..<max(top, min(rows.count, top + bodyHeight))
        // "rejected 486", "cancelled 487": the State column is as wide as the rows on screen
        // need, so that the status telling one failed call from another is not cut.
        cols[5].width = shown.reduce(cols[5].width) { max($0, CellWidth.of(stateText(s.calls[Int(rows[$1].call)]))) }
        // The sorted column makes room for its arrow beside its whole title ("Msgs▲", not "Msg▲").
        let sorted = sortColumn(screen.sort)
        cols[sorted].width = max(cols[sorted].width, CellWidth.of(cols[sorted].title) + 1)
        // Column 0 of the screen shows the selection mark.
        let fitted = TableLayout.fit(cols, width: state.width - 2)
        Renderer.drawHeader(&grid, cols, fitted, y: area.y, x: 2, glyphs: g, sortedBy: sortColumn(screen.sort),
                            descending: screen.descending)
        if rows.isEmpty {
            grid.put(state.filter != nil ? "no call matches the filter" : "no calls yet", x: 2, y: area.y + 2, role: .dim)
            return
        }
        func text(_ id: UInt32) -> String { id == 0 ? "" : SafeText.line(s.strings.string(id)) }
        for i in shown {
            let y = area.y + 1 + i - top
            let row = rows[i]
            let c = s.calls[Int(row.call)]
            var from = text(c.fromUser)
            var callID = text(c.callID)
            if row.depth > 0 {
                from = g.branch + from
                callID = "[" + (row.linkReason.map { SafeText.line($0) } ?? "linked") + "] " + callID
            }
            var route = ""
            if c.firstMessage >= 0 {
                let r = s.messages[Int(c.firstMessage)]
                route = "\(s.endpoints[r.source].description) \(g.rightwards) \(s.endpoints[r.destination].description)"
            }
            let values = [
                Format.clockMillis(c.firstTime), from, text(c.toUser), c.kindKnown ? c.kind.name : "-",
                String(c.messageCount), stateText(c), Format.millis(c.postDialDelay), Format.duration(c.duration), route,
                callID,
            ]
            let stateRole: ColorRole = c.state.isActive ? .provisional : c.state.isFailure ? .clientError
                : c.state == .completed || c.state == .inCall ? .success : .redirect
            for f in fitted {
                let role: ColorRole = f.index == 5 ? stateRole : (f.index == 1 || f.index == 9) && row.depth > 0 ? .accent : .normal
                grid.putCell(values[f.index], column: f, y: y, originX: 2, glyphs: g, role: role)
            }
            if screen.marked.contains(row.call) { grid.put(g.mark, x: 0, y: y, role: .marked, attributes: .bold) }
            if i == cursor { grid.paint(y: y, adding: .reverse) }
        }
    }

    /// "in call", "busy 486": the state, with the final status of a call that did not complete.
    static func stateText(_ c: Call) -> String {
        c.finalStatus != 0 && !c.state.isActive && c.state != .completed ? "\(c.state.name) \(c.finalStatus)" : c.state.name
    }
}
