import TraceModel
import TraceOutput

/// The rows of whatever screen is on top, as `update` needs them: how many, which item each
/// row shows, where an item is, and its text for `/` search.
struct Rows {
    var count: Int
    var identity: (Int) -> Int
    var index: (Int) -> Int?
    var text: (Int) -> String
    /// For a search of `needle` (lowercased): which rows have it in their text, in any case;
    /// nil: their text is looked at.
    var search: ((_ needle: String) -> (Int) -> Bool)?
    /// The row follow mode stays on.
    var newest: () -> Int?
    /// Text screens scroll instead of moving a cursor.
    var isText = false
}

extension ViewerModel {
    func rows(_ screen: ScreenState, _ state: ViewerState) -> Rows {
        let s = store
        switch screen.kind {
        case .groups:
            let rows = groupRows(filter: state.filter)
            return Rows(count: rows.count, identity: { rows[$0] }, index: { id in rows.firstIndex(of: id) },
                        text: { self.groupName(rows[$0]) },
                        newest: {
                            // The session that last received something (not the uncorrelated
                            // bucket): by arrival, not by the packets' own times, which a replay
                            // or an agent with a slow clock sets in the past.
                            let correlated = rows.indices.filter { s.groups[rows[$0]].source != .none }
                            return correlated.max { s.groups[rows[$0]].lastArrival < s.groups[rows[$1]].lastArrival }
                                ?? (rows.isEmpty ? nil : rows.count - 1)
                        })
        case .calls(let scope):
            let rows = callRows(scope: scope, sort: screen.sort, descending: screen.descending, filter: state.filter)
            return Rows(count: rows.count, identity: { Int(rows[$0].call) },
                        index: { id in rows.firstIndex { $0.call == Int32(id) } },
                        text: { self.callSearchText(rows[$0].call) },
                        search: { self.callSearch(rows, needle: $0) },
                        newest: {
                            // The call that arrived last: calls are numbered as they arrive.
                            rows.indices.max { rows[$0].call < rows[$1].call }
                        })
        case .ladder(let scope):
            let ladder = ladder(scope, as: state)
            let rows = ladder.rows
            return Rows(count: rows.count, identity: { Int(rows[$0].message) },
                        index: { id in rows.firstIndex { $0.message == Int32(id) } },
                        text: { rows[$0].label + " " + rows[$0].cseq },
                        newest: { rows.indices.max { rows[$0].message < rows[$1].message } })
        case .message(let m):
            return textRows(messageSearchTexts(m, state))
        case .diff(let a, let b):
            let d = diff(a, b, glyphs: state.options.glyphs)
            return textRows(d.rows.map { ($0.left ?? "") + "\u{1}" + ($0.right ?? "") })
        }
    }

    private func textRows(_ lines: [String]) -> Rows {
        Rows(count: lines.count, identity: { $0 }, index: { $0 < lines.count ? $0 : nil }, text: { lines[$0] },
             newest: { nil }, isText: true)
    }

    func callSearchText(_ c: Int32) -> String {
        let s = store
        let call = s.calls[Int(c)]
        func t(_ id: UInt32) -> String { id == 0 ? "" : s.strings.string(id) }
        return [t(call.fromUser), t(call.toUser), t(call.callID), call.state.name, call.kind.name,
                call.finalStatus == 0 ? "" : String(call.finalStatus)].joined(separator: " ")
    }
}

/// Which rows a list shows: the cursor keeps its place on screen (its anchor) while rows are
/// inserted above it, as long as that leaves the viewport filled.
enum ListGeometry {
    static func top(count: Int, cursorIndex: Int, anchor: Int, height: Int) -> Int {
        guard count > height else { return 0 }
        let t = cursorIndex - min(max(0, anchor), height - 1)
        return min(max(0, t), count - height)
    }
}
