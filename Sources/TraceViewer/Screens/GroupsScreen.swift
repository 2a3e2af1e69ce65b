import TraceModel
import TraceOutput

/// The first screen: one row per test session (correlation group), the uncorrelated bucket last.
enum GroupsScreen {
    /// The largest figures of the rows shown, so that count columns are wide enough for them.
    struct Largest {
        var calls = 0, active = 0, answered = 0, failed = 0, messages = 0

        init(_ rows: [Int], _ figures: (Int) -> ViewerModel.GroupFigures) {
            for gi in rows {
                let f = figures(gi)
                calls = max(calls, f.statistics.calls)
                active = max(active, f.statistics.active)
                answered = max(answered, f.statistics.answered)
                failed = max(failed, f.statistics.failed)
                messages = max(messages, f.messages)
            }
        }
    }

    static func columns(nameWidth: Int, largest: Largest) -> [TableColumn] {
        // A load test's session holds tens of thousands of calls: a count is never cut short.
        func fitting(_ width: Int, _ value: Int) -> Int { max(width, CellWidth.of(Format.count(value))) }
        return [
            TableColumn("Correlation id", width: min(max(nameWidth, 14), 30), preferred: max(14, min(nameWidth, 48))),
            TableColumn("Calls", width: fitting(6, largest.calls), right: true),
            TableColumn("Active", width: fitting(6, largest.active), right: true, priority: 3),
            TableColumn("Answ", width: fitting(5, largest.answered), right: true, priority: 1),
            TableColumn("Fail", width: fitting(5, largest.failed), right: true, priority: 1),
            TableColumn("ASR", width: 4, right: true, priority: 1),
            TableColumn("PDD p50/p95 ms", width: 14, right: true, priority: 2),
            TableColumn("Msgs", width: fitting(7, largest.messages), right: true),
            TableColumn("First seen", width: 10, priority: 4),
            TableColumn("Last", width: 8, priority: 2),
            TableColumn("Rate", width: 7, right: true, priority: 3),
        ]
    }

    static func draw(_ grid: inout CellGrid, _ state: ViewerState, _ screen: ScreenState, _ model: ViewerModel,
                     _ area: Renderer.Area) {
        let s = model.store
        let g = state.options.glyphs
        let rows = model.groupRows(filter: state.filter)
        let nameWidth = rows.prefix(200).map { CellWidth.of(model.groupName($0)) }.max() ?? 14
        let figures = { model.groupFigures($0, filter: state.filter) }
        let cols = columns(nameWidth: nameWidth, largest: Largest(rows, figures))
        let fitted = TableLayout.fit(cols, width: state.width - 1)
        Renderer.drawHeader(&grid, cols, fitted, y: area.y, x: 1, glyphs: g)
        let bodyHeight = area.height - 1
        if rows.isEmpty {
            grid.put(CellWidth.truncate(emptyText(state, model), to: max(0, state.width - 3), ellipsis: g.ellipsis),
                     x: 2, y: area.y + 2, role: .dim)
            return
        }
        let cursor = screen.cursor.flatMap { id in rows.firstIndex(of: id) } ?? 0
        let top = ListGeometry.top(count: rows.count, cursorIndex: cursor, anchor: screen.anchor, height: bodyHeight)
        for i in top..<max(top, min(rows.count, top + bodyHeight)) {
            let y = area.y + 1 + i - top
            let gi = rows[i]
            let group = s.groups[gi]
            let shown = figures(gi)
            let st = shown.statistics
            let p50 = st.postDialDelay.percentile(0.5), p95 = st.postDialDelay.percentile(0.95)
            // Times and rate of what the filter shows, or of the whole session (arriving now, when live).
            let span = shown.shown?.span ?? s.span(of: group)
            let rate = shown.shown.map { $0.rate } ?? (model.liveRate(group: gi) ?? s.rate(of: group))
            let values = [
                // Session figures: calls and messages the memory budget dropped still count,
                // unless a filter says which are shown.
                model.groupName(gi), Format.count(st.calls), Format.count(st.active), Format.count(st.answered),
                Format.count(st.failed), Format.percent(st.answerSeizureRatio),
                p50 == nil ? "-" : "\(Format.millis(p50))/\(Format.millis(p95))", Format.count(shown.messages),
                Format.clockSeconds(span.first), Format.clockSeconds(span.last), Format.rate(rate),
            ]
            let isBucket = group.source == .none
            for f in fitted {
                var role: ColorRole = .normal
                if f.index == 0 { role = isBucket ? .dim : .accent }
                if f.index == 4, st.failed > 0 { role = .clientError }
                if f.index == 2, st.active > 0 { role = .success }
                grid.putCell(values[f.index], column: f, y: y, originX: 1, glyphs: g, role: role,
                             attributes: f.index == 0 && !isBucket ? .bold : [])
            }
            if i == cursor { grid.paint(y: y, adding: .reverse) }
        }
    }

    /// What an empty first screen says: waiting, nothing in the files, and why packets that
    /// came were not kept (a wrong `--hep-key`, garbage), the commonest reasons first.
    static func emptyText(_ state: ViewerState, _ model: ViewerModel) -> String {
        if state.filter != nil { return "no session matches the filter" }
        let lead = model.isLive ? "waiting for data…" : "no SIP messages"
        var reasons: [String: Int] = [:]
        for s in model.session.sources {
            for (why, n) in s.counters.droppedReasons where n > 0 { reasons[why, default: 0] += n }
            for (why, n) in s.counters.malformedReasons where n > 0 { reasons[why, default: 0] += n }
        }
        guard !reasons.isEmpty else { return lead }
        let commonest = reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(2)
        return lead + "; not kept: " + commonest.map { "\(Format.count($0.value)) \(SafeText.line($0.key))" }.joined(separator: ", ")
    }

}
