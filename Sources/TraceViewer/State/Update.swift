import TraceModel

/// The one place the viewer's state changes: a key, a resize, a tick or new data in, the next
/// state out. Lists are read from the model (cached there), never changed by it.
public enum Update {
    public static func update(_ state: inout ViewerState, _ event: ViewerEvent, model: ViewerModel) {
        switch event {
        case .resize(let w, let h):
            keepingMessageLine(&state, model) {
                $0.width = max(1, w)
                $0.height = max(1, h)
            }
        case .tick:
            break
        case .dataChanged:
            if model.evictions != state.evictionsSeen {
                // Groups, calls and messages on the stack were renumbered: each screen follows
                // its own to their new numbers; from the first whose content was dropped on,
                // screens close.
                let counters = model.store.counters
                state.evictionsSeen = model.evictions
                let map = model.renumbering()
                var kept: [ScreenState] = []
                for screen in state.stack {
                    guard let now = screen.renumbered(map) else { break }
                    kept.append(now)
                }
                state.stack = kept.isEmpty ? [ScreenState(kind: .groups)] : kept
                if let open = state.saveDialog {
                    // Its choices named calls and messages by their old numbers: offered again
                    // from the screens as they are now, the file name kept.
                    resolve(&state, model)
                    var again = SaveDialog.open(state, model)
                    again.path = open.path
                    again.choice = min(open.choice, again.choices.count - 1)
                    state.saveDialog = again
                }
                // All dropped so far (several evictions may come between two looks), short
                // enough for 80 columns, where it would otherwise end cut.
                let sessions = Format.count(counters.evictedGroups), ended = Format.count(counters.evictedCalls)
                state.quitAsked = false  // its question is no longer on screen
                state.notice = counters.evictedCalls == 0
                    ? "memory budget: \(sessions) least recently active session(s) dropped so far"
                    : "memory budget: \(sessions) session(s) and \(ended) ended call(s) dropped so far"
            }
        case .key(let key):
            state.notice = nil
            let asked = state.quitAsked
            state.quitAsked = false
            if key == .control("c") {
                // Quits at once from anywhere: a prompt, a dialog or the help too.
                state.shouldQuit = true
            } else if asked, key == .character("q") || key == .character("y") {
                // The answer to the question; any other key does what it always does (w saves,
                // Q and Ctrl-C quit at once, a move moves).
                state.shouldQuit = true
            } else if state.saveDialog != nil {
                editSaveDialog(&state, key)
            } else if state.prompt != nil {
                editPrompt(&state, key, model)
            } else if state.showHelp {
                switch key {
                case .down, .character("j"), .pageDown:
                    // No further than where the last line is in view (coming back up must not
                    // take presses that move nothing).
                    state.helpTop = min(state.helpTop + (key == .pageDown ? 10 : 1), HelpOverlay.lastTop(state))
                case .up, .character("k"), .pageUp: state.helpTop = max(0, state.helpTop - (key == .pageUp ? 10 : 1))
                default: state.showHelp = false
                }
            } else if let action = KeyMap.action(for: key) {
                perform(&state, action, model)
            }
        }
        resolve(&state, model)
        model.follow(state.stack.flatMap(\.anchors))
    }

    /// Makes `change` (to the wrapping or the width) keep a message screen on the line it
    /// shows at its top, which wraps onto another number of rows afterwards.
    static func keepingMessageLine(_ state: inout ViewerState, _ model: ViewerModel, _ change: (inout ViewerState) -> Void) {
        guard case .message(let m) = state.top.kind, let top = state.top.cursor else { return change(&state) }
        let starts = model.messageLineStarts(m, state)
        let line = (starts.lastIndex { $0 <= top }) ?? 0
        change(&state)
        let now = model.messageLineStarts(m, state)
        if line < now.count { state.top.cursor = now[line] }
    }

    // MARK: actions

    static func perform(_ state: inout ViewerState, _ action: Action, _ model: ViewerModel) {
        let page = max(1, state.bodyHeight - 1)
        switch action {
        case .up: move(&state, model, by: -1)
        case .down: move(&state, model, by: 1)
        case .pageUp: move(&state, model, by: -page, keepAnchor: true)
        case .pageDown: move(&state, model, by: page, keepAnchor: true)
        case .home: move(&state, model, to: 0)
        case .end: move(&state, model, to: Int.max)
        case .left, .right:
            scrollSideways(&state, model, by: action == .left ? -1 : 1)
        case .open: open(&state, model)
        case .back:
            // Esc pressed once too often on the way back must not end a live capture.
            if state.stack.count > 1 { state.stack.removeLast() } else { state.notice = "q quits" }
        case .backOrQuit:
            if state.stack.count > 1 {
                state.stack.removeLast()
            } else if state.options.askBeforeQuitting, case let unsaved = model.receivedLive - state.liveSavedUpTo, unsaved > 0 {
                state.quitAsked = true
                state.notice = "quit? \(Format.count(unsaved)) messages received are not saved (w saves): q quits"
            } else {
                state.shouldQuit = true
            }
        case .quit: state.shouldQuit = true
        case .select: select(&state, model)
        case .help:
            state.showHelp = true
            state.helpTop = 0
        case .filter:
            state.prompt = Prompt(purpose: .filter, text: state.filter?.expression ?? "")
        case .search:
            state.prompt = Prompt(purpose: .search, text: "")
        case .save:
            state.saveDialog = SaveDialog.open(state, model)
        case .searchNext: searchStep(&state, model, forward: true, includeCurrent: false)
        case .searchPrevious: searchStep(&state, model, forward: false, includeCurrent: false)
        case .clear:
            state.filter = nil
            state.search = nil
            state.top.marked = []
        case .follow:
            state.follow.toggle()
            state.notice = state.follow ? "following the newest as data arrives (move to stop)" : "follow off"
        case .allCalls:
            if case .groups = state.top.kind { push(&state, .calls(.all)) }
        case .groupLadder:
            if case .groups = state.top.kind, let g = state.top.cursor { push(&state, .ladder(.group(g))) }
        case .linkedLadder:
            if case .calls = state.top.kind, let c = state.top.cursor {
                push(&state, .ladder(.calls(linkedSet(Int32(c), model))))
            }
        case .diff:
            if case .ladder = state.top.kind {
                let m = state.top.marked
                if m.count == 2 { push(&state, .diff(m[0], m[1])) } else { state.notice = "select two messages with Space first" }
            }
        case .sortNext, .sortReverse:
            guard case .calls = state.top.kind else { return }
            if action == .sortNext {
                let all = CallSort.allCases
                state.top.sort = all[(all.firstIndex(of: state.top.sort)! + 1) % all.count]
            } else {
                state.top.descending.toggle()
            }
            state.notice = "sorted by \(state.top.sort.name)\(state.top.descending ? ", descending" : "")"
        case .wrapLines:
            guard case .message = state.top.kind else { return }
            keepingMessageLine(&state, model) { $0.options.wrapLines.toggle() }
            state.top.column = 0
            state.notice = state.options.wrapLines ? "long lines wrapped" : "long lines cut (h and l scroll them)"
        case .mergePorts:
            guard case .ladder = state.top.kind else { return }
            state.options.mergePorts.toggle()
            state.notice = state.options.mergePorts ? "one column per host (ports merged)" : "one column per address and port"
        case .timeMode:
            guard case .ladder = state.top.kind else { return }
            let all = ViewerOptions.TimeMode.allCases
            state.options.timeMode = all[(state.options.timeMode.rawValue + 1) % all.count]
        case .colourMode:
            guard case .ladder(let scope) = state.top.kind else { return }
            let current = state.options.colourByTransaction
                ?? (model.ladder(scope, as: state).callOrdinal.count <= 1)
            state.options.colourByTransaction = !current
            state.notice = (!current ? "colours per transaction" : "colours per call")
                + (state.options.monochrome ? " (this terminal shows no colours)" : "")
        }
    }

    /// The call and every leg linked to it, directly or through others.
    static func linkedSet(_ call: Int32, _ model: ViewerModel) -> [Int32] {
        var set: [Int32] = [call]
        var i = 0
        while i < set.count {
            for l in model.store.links(of: set[i]) where !set.contains(l.other) { set.append(l.other) }
            i += 1
        }
        return set.sorted()
    }

    static func push(_ state: inout ViewerState, _ kind: ScreenKind) {
        state.stack.append(ScreenState(kind: kind))
        state.search = nil
    }

    static func open(_ state: inout ViewerState, _ model: ViewerModel) {
        let top = state.top
        guard let cursor = top.cursor else { return }
        switch top.kind {
        case .groups: push(&state, .calls(.group(cursor)))
        case .calls:
            let calls = top.marked.isEmpty ? [Int32(cursor)] : top.marked
            push(&state, .ladder(.calls(calls)))
        case .ladder: push(&state, .message(Int32(cursor)))
        case .message, .diff: break
        }
    }

    static func select(_ state: inout ViewerState, _ model: ViewerModel) {
        guard let cursor = state.top.cursor else { return }
        switch state.top.kind {
        case .calls:
            let c = Int32(cursor)
            // The cursor stays, as on a ladder: Space j Space marks two rows side by side.
            if let i = state.top.marked.firstIndex(of: c) { state.top.marked.remove(at: i) } else { state.top.marked.append(c) }
        case .ladder:
            let m = Int32(cursor)
            if let i = state.top.marked.firstIndex(of: m) {
                state.top.marked.remove(at: i)
            } else {
                if state.top.marked.count == 2 { state.top.marked.removeFirst() }
                state.top.marked.append(m)
            }
            if state.top.marked.count == 2 { state.notice = "two messages selected: d shows their diff" }
        default:
            break
        }
    }

    // MARK: movement

    static func move(_ state: inout ViewerState, _ model: ViewerModel, by delta: Int, keepAnchor: Bool = false) {
        let rows = model.rows(state.top, state)
        state.follow = false
        guard rows.count > 0 else { return }
        if rows.isText {
            let maxTop = max(0, rows.count - textHeight(state))
            state.top.cursor = min(max(0, (state.top.cursor ?? 0) + delta), maxTop)
            return
        }
        let current = state.top.cursor.flatMap(rows.index) ?? 0
        let target = min(max(0, current + delta), rows.count - 1)
        state.top.cursor = rows.identity(target)
        if !keepAnchor { state.top.anchor = min(max(0, state.top.anchor + (target - current)), listHeight(state) - 1) }
        showCursorArrow(&state, model)
    }

    static func move(_ state: inout ViewerState, _ model: ViewerModel, to index: Int) {
        let rows = model.rows(state.top, state)
        state.follow = false
        guard rows.count > 0 else { return }
        if rows.isText {
            state.top.cursor = index == 0 ? 0 : max(0, rows.count - textHeight(state))
            return
        }
        let target = min(index, rows.count - 1)
        state.top.cursor = rows.identity(target)
        state.top.anchor = index == 0 ? 0 : listHeight(state) - 1
        showCursorArrow(&state, model)
    }

    /// On a ladder with more endpoints than fit, the columns scroll (when the cursor moves, not
    /// otherwise) so that the selected message's arrow is in view: on a load test's session,
    /// the newest message is most often between endpoints far to the right.
    static func showCursorArrow(_ state: inout ViewerState, _ model: ViewerModel) {
        guard case .ladder(let scope) = state.top.kind, let m = state.top.cursor else { return }
        let ladder = model.ladder(scope, as: state)
        let geometry = LadderScreen.geometry(ladder, state, column: state.top.column)
        guard geometry.visible < geometry.count, let row = ladder.rows.first(where: { $0.message == Int32(m) }) else { return }
        let low = min(row.from, row.to), high = max(row.from, row.to)
        var first = geometry.first
        if low < first || high - low >= geometry.visible {
            first = low
        } else if high >= first + geometry.visible {
            first = high - geometry.visible + 1
        }
        state.top.column = first
    }

    /// One ladder column, or eight text columns, left or right: no further right than where
    /// the last column, or the end of the longest line, is in view (going back must never take
    /// more keys than going there did).
    static func scrollSideways(_ state: inout ViewerState, _ model: ViewerModel, by step: Int) {
        switch state.top.kind {
        case .ladder(let scope):
            let geometry = LadderScreen.geometry(model.ladder(scope, as: state), state, column: state.top.column)
            state.top.column = min(max(0, geometry.first + step), max(0, geometry.count - geometry.visible))
        case .message, .diff:
            state.top.column = min(max(0, state.top.column + step * 8), textScrollLimit(state, model))
        default:
            break
        }
    }

    /// How far right a message or diff scrolls, in its steps of eight: to where the longest line
    /// shows whole (from column `longest - room` on its last cell is its own, not an ellipsis).
    /// A message skips characters, a diff cells, as they are drawn.
    static func textScrollLimit(_ state: ViewerState, _ model: ViewerModel) -> Int {
        let glyphs = state.options.glyphs
        let longest: Int
        switch state.top.kind {
        case .message(let m):
            longest = model.messageLines(m, state).map(\.text.count).max() ?? 0
        case .diff(let a, let b):
            let rows = model.diff(a, b, glyphs: glyphs).rows
            longest = rows.map { max(CellWidth.of($0.left ?? ""), CellWidth.of($0.right ?? "")) }.max() ?? 0
        default:
            return 0
        }
        return (max(0, longest - textRoom(state)) + 7) / 8 * 8
    }

    /// Columns of text a message line shows, or each side of a diff.
    static func textRoom(_ state: ViewerState) -> Int {
        if case .diff = state.top.kind { return (state.width - 1) / 2 - 1 }
        return state.width - 1
    }

    /// Body rows of a list screen (the ladder may use one more for merged ports; close enough
    /// for keeping the cursor in view, which render clamps anyway).
    static func listHeight(_ state: ViewerState) -> Int { max(1, state.height - 4) }
    /// Text rows a text screen shows: a diff gives one of them to the two messages' titles.
    static func textHeight(_ state: ViewerState) -> Int {
        if case .diff = state.top.kind { return max(1, state.height - 4) }
        return max(1, state.height - 3)
    }

    // MARK: save dialog

    static func editSaveDialog(_ state: inout ViewerState, _ key: Key) {
        guard var d = state.saveDialog else { return }
        d.error = nil
        switch key {
        case .escape:
            state.saveDialog = nil
            return
        case .left, .up:
            d.choice = (d.choice + d.choices.count - 1) % d.choices.count
        case .right, .down, .tab:
            d.choice = (d.choice + 1) % d.choices.count
        case .enter:
            let path = d.path.trimmingSpaces()
            guard !path.isEmpty else {
                d.error = "type a file name"
                break
            }
            guard let format = d.format else {
                d.error = "unknown extension: use .pcap .pcapng .txt .json .ladder.txt .mmd .svg or .html"
                break
            }
            state.pendingSave = SaveRequest(scope: d.choices[d.choice].scope, path: path, format: format,
                                            replace: d.replacing == path)
        case .backspace, .delete, .control("h"):
            if !d.path.isEmpty { d.path.removeLast() }
        case .control("u"):
            d.path = ""
        case .character(let c):
            d.path.append(c)
        default:
            break
        }
        state.saveDialog = d
    }

    /// What the backend reports once it has tried a save asked for by the dialog: done closes
    /// the dialog with a notice; a failure or a name already taken keeps it open, the name as
    /// typed, with the reason (and then Enter on the same name replaces the file).
    public static func finishSave(_ state: inout ViewerState, _ outcome: SaveOutcome) {
        switch outcome {
        case .saved(let notice):
            state.lastSavePath = state.saveDialog?.path.trimmingSpaces()
            state.saveDialog = nil
            state.notice = notice
        case .failed(let why):
            state.saveDialog?.error = "not saved: " + why
        case .exists(let place):
            state.saveDialog?.error = "\(place) exists: Enter replaces it, or type another name"
            let typed = state.saveDialog?.path.trimmingSpaces()
            state.saveDialog?.replacing = typed
        }
    }

    // MARK: prompt, filter and search

    static func editPrompt(_ state: inout ViewerState, _ key: Key, _ model: ViewerModel) {
        guard var p = state.prompt else { return }
        switch key {
        case .escape:
            state.prompt = nil
            return
        case .enter:
            if p.purpose == .filter {
                let text = p.text.trimmingSpaces()
                if text.isEmpty {
                    state.filter = nil
                    state.prompt = nil
                    state.notice = "filter cleared"
                    return
                }
                do {
                    state.filter = try TraceFilter.parse(text)
                    state.prompt = nil
                } catch {
                    p.error = (error.position + (p.text.count - p.text.drop { $0 == " " }.count), error.message)
                    // The cursor goes where the mistake is, which also keeps it in view.
                    p.cursor = min(p.text.count, p.error!.position)
                    state.prompt = p
                }
            } else {
                state.prompt = nil
                state.search = p.text.isEmpty ? nil : p.text
                if state.search != nil { searchStep(&state, model, forward: true, includeCurrent: true) }
            }
            return
        case .left, .control("b"):
            p.cursor = max(0, p.cursor - 1)
        case .right, .control("f"):
            p.cursor = min(p.text.count, p.cursor + 1)
        case .home, .control("a"):
            p.cursor = 0
        case .end, .control("e"):
            p.cursor = p.text.count
        case .backspace, .control("h"):
            guard p.cursor > 0 else { break }
            p.text.remove(at: p.text.index(p.text.startIndex, offsetBy: p.cursor - 1))
            p.cursor -= 1
        case .delete:
            // At the end there is nothing after the cursor: Delete then acts as Backspace.
            if p.cursor < p.text.count {
                p.text.remove(at: p.text.index(p.text.startIndex, offsetBy: p.cursor))
            } else if p.cursor > 0 {
                p.text.removeLast()
                p.cursor -= 1
            }
        case .control("u"):
            // As in a shell: everything before the cursor goes.
            p.text.removeFirst(p.cursor)
            p.cursor = 0
        case .control("k"):
            p.text.removeLast(p.text.count - p.cursor)
        case .character(let c):
            p.text.insert(c, at: p.text.index(p.text.startIndex, offsetBy: p.cursor))
            p.cursor += 1
        default:
            return
        }
        // The error stays while the cursor only moves (toward the mistake); an edit ends it.
        if p.text != state.prompt?.text { p.error = nil }
        state.prompt = p
    }

    /// Moves to the next row (or text line) whose text contains the search, wrapping around.
    static func searchStep(_ state: inout ViewerState, _ model: ViewerModel, forward: Bool, includeCurrent: Bool) {
        guard let needle = state.search?.lowercased(), !needle.isEmpty else {
            state.notice = "no search: / starts one"
            return
        }
        let rows = model.rows(state.top, state)
        guard rows.count > 0 else { return }
        let current = rows.isText ? (state.top.cursor ?? 0) : state.top.cursor.flatMap(rows.index) ?? 0
        let matches = rows.search?(needle) ?? { rows.text($0).lowercased().contains(needle) }
        for step in 0..<rows.count {
            let offset = includeCurrent ? step : step + 1
            let i = ((current + (forward ? offset : -offset)) % rows.count + rows.count) % rows.count
            if matches(i) {
                state.follow = false
                if rows.isText {
                    state.top.cursor = min(i, max(0, rows.count - textHeight(state)))
                    showMatchSideways(&state, model, line: rows.text(i).lowercased(), needle: needle)
                } else {
                    state.top.cursor = rows.identity(i)
                    state.top.anchor = min(listHeight(state) / 2, listHeight(state) - 1)
                    showCursorArrow(&state, model)
                }
                if i == current && !includeCurrent { state.notice = "only match" }
                return
            }
        }
        state.notice = "no match for \(needle)"
    }

    /// Scrolls a text screen sideways, in its steps of eight, so that the first match on `line`
    /// is in view: a match right of the screen, or left of where it was scrolled, would
    /// otherwise be found without being shown. A diff's line is its two sides joined by U+0001.
    static func showMatchSideways(_ state: inout ViewerState, _ model: ViewerModel, line: String, needle: String) {
        var text = Substring(line)
        var isDiff = false
        if case .diff = state.top.kind {
            isDiff = true
            let sides = line.split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false)
            text = sides.first { $0.contains(needle) } ?? text
        }
        guard let range = text.range(of: needle) else { return }
        // In the units the screen scrolls by: a message's characters, a diff's cells.
        let before = String(text[..<range.lowerBound])
        let start = isDiff ? CellWidth.of(before) : before.count
        let end = start + (isDiff ? CellWidth.of(needle) : needle.count)
        guard start < state.top.column || end > state.top.column + textRoom(state) else { return }
        // The match a little in from the left edge, so that what comes before it reads too;
        // never past where scrolling right stops.
        state.top.column = min(max(0, start - 8) / 8 * 8, textScrollLimit(state, model))
    }

    // MARK: keeping the cursor valid

    /// After any event: the cursor names an item that is on the list (the same one when it
    /// still is, whatever moved around it), or follows the newest one in follow mode.
    static func resolve(_ state: inout ViewerState, _ model: ViewerModel) {
        let rows = model.rows(state.top, state)
        if rows.isText {
            let maxTop = max(0, rows.count - textHeight(state))
            state.top.cursor = min(max(0, state.top.cursor ?? 0), maxTop)
            return
        }
        guard rows.count > 0 else {
            state.top.cursor = nil
            return
        }
        if state.follow, let newest = rows.newest() {
            let moved = state.top.cursor != rows.identity(newest)
            state.top.cursor = rows.identity(newest)
            state.top.anchor = min(newest, listHeight(state) - 1)
            state.top.lastIndex = newest
            if moved { showCursorArrow(&state, model) }
            return
        }
        var index: Int
        if let id = state.top.cursor, let i = rows.index(id) {
            index = i
        } else {
            index = min(state.top.lastIndex, rows.count - 1)
            state.top.cursor = rows.identity(index)
        }
        state.top.lastIndex = index
        // The anchor says where the cursor really is on screen, so that rows inserted above it
        // scroll the list instead of moving the cursor's row.
        let height = listHeight(state)
        let top = ListGeometry.top(count: rows.count, cursorIndex: index, anchor: state.top.anchor, height: height)
        state.top.anchor = index - top
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
