@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
@testable import TraceViewer
import WireDecoding

/// Keys, follow mode, live insertion and resizing, through `Update` alone (no terminal).
@Suite struct UpdateTests {
    func cursorRow(_ grid: CellGrid) -> Int? {
        (0..<grid.height).first { y in grid[5, y].attributes.contains(.reverse) }
    }

    @Test func drillDownAndBack() {
        let p = Pilot.kamailio()
        #expect(p.state.top.kind == .groups)
        p.press(.character("j"), .enter)
        guard case .calls(.group(let g)) = p.state.top.kind else {
            Issue.record("expected calls, got \(p.state.top.kind)")
            return
        }
        #expect(p.model.groupName(g).hasSuffix("udp-b"))
        p.press(.enter)
        guard case .ladder(.calls(let calls)) = p.state.top.kind else {
            Issue.record("expected a ladder, got \(p.state.top.kind)")
            return
        }
        #expect(calls.count == 1)
        p.press(.enter)
        guard case .message = p.state.top.kind else {
            Issue.record("expected a message, got \(p.state.top.kind)")
            return
        }
        p.press(.escape, .character("q"), .escape)
        #expect(p.state.top.kind == .groups)
        #expect(!p.state.shouldQuit)
        // Esc once more on the first screen only says how to quit; q quits.
        p.press(.escape, .escape)
        #expect(!p.state.shouldQuit && p.state.notice == "q quits")
        p.press(.character("q"))
        #expect(p.state.shouldQuit)
    }

    /// Live data not recorded: q on the first screen asks, another q quits; any other key does
    /// what it always does (w opens the save dialog the question names, Q and Ctrl-C quit at
    /// once, a move moves) and the question is gone. Messages read from files are not counted:
    /// they are still in their files.
    @Test func quittingWithUnrecordedLiveDataAsksFirst() {
        func live(fromFile: Bool = false) -> (ViewerModel, ViewerState) {
            let model = ViewerModel(session: TraceSession())
            model.ingest([EvictionTests.replayAllButTheEnd(into: model)])
            if fromFile {
                let queue = IngestQueue()
                let path = Fixtures.kamailio("sip-plain-udp.pcap").path
                BackgroundLoader.load(path: path, source: model.addSource(name: path, kind: .file), queue: queue)
                model.ingest(queue.drain())
            }
            var state = ViewerState(width: 80, height: 24)
            state.options.askBeforeQuitting = true
            Update.update(&state, .dataChanged, model: model)
            return (model, state)
        }
        func press(_ keys: Key..., on run: inout (ViewerModel, ViewerState)) {
            for k in keys { Update.update(&run.1, .key(k), model: run.0) }
        }
        var run = live(fromFile: true)
        #expect(run.0.store.messages.count == 280 + 590)
        press(.character("q"), on: &run)
        #expect(!run.1.shouldQuit && run.1.quitAsked)
        #expect(run.1.notice == "quit? 280 messages received are not saved (w saves): q quits", "\(run.1.notice ?? "")")
        #expect(Renderer.render(run.1, model: run.0).text.contains(" quit? 280 messages received are not saved (w saves): q quits"))
        press(.character("j"), on: &run)  // a move moves, and the question is gone
        #expect(!run.1.shouldQuit && !run.1.quitAsked && run.1.notice == nil && run.1.top.cursor != nil)
        press(.character("q"), .character("w"), on: &run)
        #expect(!run.1.shouldQuit && run.1.saveDialog != nil)
        press(.escape, .character("q"), .character("q"), on: &run)
        #expect(run.1.shouldQuit)
        for key in [Key.control("c"), .character("Q")] {
            var asked = live()
            press(.character("q"), key, on: &asked)
            #expect(asked.1.shouldQuit, "\(key)")
        }
        // Nothing received live (files only, or nothing yet), or recorded: q quits at once.
        let files = Pilot.kamailio()
        files.state.options.askBeforeQuitting = true
        files.press(.character("q"))
        #expect(files.state.shouldQuit)
        let empty = Pilot(paths: [])
        empty.state.options.askBeforeQuitting = true
        empty.press(.character("q"))
        #expect(empty.state.shouldQuit)
        var recorded = live()
        recorded.1.options.askBeforeQuitting = false
        press(.character("q"), on: &recorded)
        #expect(recorded.1.shouldQuit)
        // Everything saved (the backend notes how much): q quits at once; more since, it asks
        // for what came after.
        var saved = live()
        saved.1.liveSavedUpTo = 280
        press(.character("q"), on: &saved)
        #expect(saved.1.shouldQuit)
        var partly = live()
        partly.1.liveSavedUpTo = 200
        press(.character("q"), on: &partly)
        #expect(!partly.1.shouldQuit && partly.1.notice?.hasPrefix("quit? 80 messages received") == true)
    }

    /// With a filter, a session's row and its whole ladder (`v`) show what the filter lets
    /// through, as `print --summary --filter` does: 10 calls of session b, none answered, 10
    /// failed, 40 messages.
    @Test func sessionFiguresAndLadderFollowTheFilter() throws {
        let p = Pilot.kamailio(width: 120, height: 40)
        p.press(.character("f"))
        p.type("status:486")
        p.press(.enter)
        let row = try #require(p.screen.split(separator: "\n").first { $0.contains("udp-b") })
        let cells = row.split(separator: " ").filter { !$0.isEmpty && $0 != "│" }
        #expect(Array(cells.dropFirst().prefix(4)) == ["10", "0", "0", "10"], "\(row)")
        #expect(cells.contains("40") && !cells.contains("140"), "\(row)")
        #expect(!p.screen.contains("udp-a"))

        p.press(.character("v"))
        guard case .ladder(.group(let g)) = p.state.top.kind else {
            Issue.record("expected a session ladder, got \(p.state.top.kind)")
            return
        }
        let ladder = p.model.ladder(.group(g), mergePorts: false, filter: p.state.filter)
        #expect(ladder.rows.count == 40)
        #expect(ladder.callOrdinal.count == 10)
        // The re-INVITE calls of the same session (from port 5074) are not drawn.
        #expect(!ladder.columns.contains { $0.hasSuffix(":5074") })
        #expect(p.model.ladder(.group(g), mergePorts: false, filter: nil).rows.count == 140)
    }

    /// With a filter that shows one call, the session's first and last times and its rate are
    /// that call's, not the whole session's.
    @Test func sessionTimesAndRateFollowTheFilter() throws {
        let p = Pilot.kamailio(width: 120, height: 40)
        let store = p.model.store
        let call = try #require(store.calls.firstIndex { store.strings.string($0.callID).hasPrefix("udp-basic-20-") })
        let callID = store.strings.string(store.calls[call].callID)
        func sessionRow() throws -> String {
            try #require(p.screen.split(separator: "\n").first { $0.contains("udp-a") }.map(String.init))
        }
        let whole = try sessionRow()
        p.press(.character("f"))
        p.type("callid:\(callID)")
        p.press(.enter)
        let filtered = try sessionRow()
        let c = store.calls[call]
        let expected = [Format.clockSeconds(c.firstTime), Format.clockSeconds(c.lastTime),
                        Format.rate(TraceStore.rate(Int(c.messageCount), over: (c.firstTime, c.lastTime)))]
        #expect(filtered.contains(expected[0]) && filtered.contains(expected[1]) && filtered.hasSuffix(" " + expected[2]),
                "\(filtered) vs \(expected)")
        // The session as a whole began earlier and ran at another rate.
        #expect(!whole.contains(expected[0]) && !whole.hasSuffix(" " + expected[2]), "\(whole)")
    }

    /// At 80 columns: the State column shows the final status of calls that failed, and a sort
    /// by a column too wide to show is named at the header's end.
    @Test func failedStatesAndHiddenSortColumnsAreReadableAt80Columns() throws {
        let url = try Scenarios.write(Scenarios.callStates())
        let p = Pilot(paths: [url.path], width: 80, height: 24)
        p.press(.character("a"))
        for text in ["rejected 403", "failed 503", "diverted 302"] {
            #expect(p.screen.contains(text), "\(text)\n\(p.screen)")
        }
        let header = { p.screen.split(separator: "\n")[1] }
        #expect(!header().contains(" by "))
        // A sorted column's title stays whole beside its arrow, which a right-aligned one has
        // first: its title ends where its figures do.
        let p120 = Pilot(paths: [url.path], width: 120, height: 24)
        p120.press(.character("a"), .character("s"), .character("s"), .character("s"), .character("s"))
        let msgs = String(p120.screen.split(separator: "\n")[1])
        #expect(msgs.contains(" ▲Msgs "), "\(msgs)")
        for _ in 0..<2 { p120.press(.character("s")) }
        let lines = p120.screen.split(separator: "\n").map(String.init)
        let pdd = try #require(lines[1].range(of: "▲PDD ms"), "\(lines[1])")
        let end = lines[1].distance(from: lines[1].startIndex, to: pdd.upperBound)
        let figures = lines[2...].prefix(5).filter { $0.count >= end }
        #expect(!figures.isEmpty && figures.allSatisfy { Array($0)[end - 1] != " " }, "\(lines.prefix(6).joined(separator: "\n"))")
        // Start, From, To, Method, Msgs, State, PDD, Duration, then src → dst: not on screen here.
        for _ in 0..<8 { p.press(.character("s")) }
        #expect(header().hasSuffix("by Src → Dst▲"), "\(header())")
        p.press(.character("S"))
        #expect(header().hasSuffix("by Src → Dst▼"), "\(header())")
        // Narrower, where the titles leave less room: the note gives way, never a title.
        let narrow = Pilot(paths: [url.path], width: 50, height: 12)
        narrow.press(.character("a"), .character("S"))  // by start, descending: Start is not shown at 50
        let sorted = String(narrow.screen.split(separator: "\n")[1])
        for title in ["From", "To", "Msgs", "State"] { #expect(sorted.contains(" \(title) "), "\(title) lost: \(sorted)") }
        #expect(sorted.hasSuffix("▼"), "\(sorted)")
    }

    /// The default listeners at 80 columns: the status line keeps what was dropped, the memory
    /// and "live" in view, each listener said shorter.
    @Test func statusLineKeepsItsTotalsAt80Columns() {
        let model = ViewerModel(session: TraceSession())
        model.clock = { 0 }
        _ = model.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        _ = model.addSource(name: "tcp://127.0.0.1:9060", kind: .listener)
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .dataChanged, model: model)
        let status = String(Renderer.render(state, model: model).text.split(separator: "\n").last ?? "")
        #expect(status.contains("udp:9060 0 rx 0/s"), "\(status)")
        #expect(status.contains("tcp:9060 0 rx 0/s"), "\(status)")
        #expect(status.contains("dropped 0"), "\(status)")
        #expect(status.contains("mem "), "\(status)")
        #expect(status.trimmingCharacters(in: .whitespaces).hasSuffix("live"), "\(status)")
        // Wide enough, each listener is said in full.
        state = ViewerState(width: 160, height: 24)
        Update.update(&state, .dataChanged, model: model)
        let wide = String(Renderer.render(state, model: model).text.split(separator: "\n").last ?? "")
        #expect(wide.contains("udp://127.0.0.1:9060: 0 rx 0/s, 0 malformed"), "\(wide)")
        #expect(!wide.contains("evicted"), "\(wide)")
        // Three listeners do not fit at 80 even said shorter: they are said as one, and a file
        // beside them keeps its own count.
        _ = model.addSource(name: "tls://127.0.0.1:9061?cert=a.pem&key=b.pem", kind: .listener)
        _ = model.addSource(name: "/tmp/capture.pcap", kind: .file)
        state = ViewerState(width: 80, height: 24)
        Update.update(&state, .dataChanged, model: model)
        let three = String(Renderer.render(state, model: model).text.split(separator: "\n").last ?? "")
        #expect(three.contains("3 listeners 0 rx 0/s │ capture.pcap 0 rx │ dropped 0"), "\(three)")
    }

    /// A file name longer than the save dialog keeps its end in view (where one types), and an
    /// error longer than a line is wrapped, not cut.
    @Test func saveDialogShowsTheEndOfALongNameAndAllOfAnError() {
        let p = Pilot.kamailio()
        p.press(.character("w"), .control("u"))
        let name = "/tmp/" + String(repeating: "a-very-long-directory-name/", count: 4) + "calls.ladder"
        p.type(name)
        let fileLine = p.screen.split(separator: "\n").first { $0.contains("File:") } ?? ""
        #expect(fileLine.contains("File:   …"), "\(fileLine)")
        #expect(fileLine.contains("directory-name/calls.ladder"), "\(fileLine)")
        p.press(.enter)  // no known extension
        let error = p.state.saveDialog?.error ?? ""
        #expect(error.count > 60)
        // Every word of the error is on screen, over more than one line.
        let lines = p.screen.split(separator: "\n").map(String.init)
        for word in error.split(separator: " ") { #expect(lines.contains { $0.contains(word) }, "\(word)\n\(p.screen)") }
        let first = lines.firstIndex { $0.contains("! ") } ?? -1
        let last = lines.lastIndex { $0.contains(String(error.split(separator: " ").last ?? "")) } ?? -1
        #expect(first >= 0 && last > first, "\(p.screen)")
    }

    /// Right and left scroll both sides of a diff, so that the end of a long Via can be read.
    @Test func diffScrollsSideways() throws {
        let p = Pilot.kamailio()
        p.press(.down, .enter, .enter)
        p.type("/INVITE 1 INVITE")
        p.press(.enter, .character(" "))
        p.type("/INVITE 2 INVITE")
        p.press(.enter, .character(" "), .character("d"))
        guard case .diff = p.state.top.kind else {
            Issue.record("expected a diff, got \(p.state.top.kind)")
            return
        }
        func viaLine() -> String { String(p.screen.split(separator: "\n").first { $0.contains("Via:") || $0.contains("branch") } ?? "") }
        #expect(viaLine().contains("Via: SIP/2.0/UDP"))
        #expect(!viaLine().contains("rport"))
        for _ in 0..<4 { p.press(.right) }
        // Three steps bring the end of the longest line into view; the fourth goes no further.
        #expect(p.state.top.column == 24)
        #expect(!viaLine().contains("Via: SIP/2.0/UDP"), "\(viaLine())")
        #expect(viaLine().contains("branch=z9hG4bK"), "\(viaLine())")
        for _ in 0..<3 { p.press(.left) }
        #expect(p.state.top.column == 0)
        #expect(viaLine().contains("Via: SIP/2.0/UDP"))
        // The end (G) shows the diff's last row on the screen's last text row.
        p.press(.end)
        guard case .diff(let a, let b) = p.state.top.kind else { return }
        let last = try #require(p.model.diff(a, b, glyphs: p.state.options.glyphs).rows.last)
        let lines = p.screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lastText = lines[p.grid.height - 3]
        #expect(lastText.contains((last.left ?? last.right ?? "").prefix(20)), "\(lastText)")
    }

    /// A session's ladder with more endpoints than fit: moving the cursor scrolls the columns to
    /// the selected message's arrow (each call here has endpoints of its own).
    @Test func ladderColumnsFollowTheCursor() throws {
        var pcap = PcapWriter()
        for k in 1...10 {
            let a = Endpoint(address: .v4(0x0a00_0000 + UInt32(k)), port: 5060)
            let b = Endpoint(address: .v4(0x0a00_0100 + UInt32(k)), port: 5060)
            let invite = "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK\(k)\r\nFrom: <sip:a@x>;tag=\(k)\r\n"
                + "To: <sip:b@x>\r\nCall-ID: wide-\(k)@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            pcap.append(FrameBuilder.udp(from: a, to: b, payload: Array(invite.utf8)), time: Timestamp(nanoseconds: Int64(k) * 1_000_000_000))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wide-ladder-\(getpid()).pcap")
        try Data(pcap.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let p = Pilot(paths: [url.path], width: 80, height: 24)
        p.press(.character("v"))
        func cursorLine() -> String {
            let grid = p.grid
            let y = (0..<grid.height).first { y in (0..<grid.width).contains { grid[$0, y].attributes.contains(.reverse) } } ?? 0
            return String(grid.text.split(separator: "\n", omittingEmptySubsequences: false)[y])
        }
        #expect(cursorLine().contains("INVITE"), "\(p.screen)")
        #expect(p.state.top.column == 0)
        p.press(.end)
        #expect(p.state.top.column > 0)
        #expect(cursorLine().contains("INVITE"), "\(p.screen)")
        #expect(p.screen.contains("10.0.1.10:5060"), "\(p.screen)")
        p.press(.home)
        #expect(p.state.top.column == 0)
        // Scrolling by hand stays where it is put.
        p.press(.right, .right)
        #expect(p.state.top.column == 2)
    }

    /// Ctrl-C quits at once from a prompt, the save dialog and the help, as from any screen.
    @Test func controlCQuitsFromAnywhere() {
        for opening in [Key.character("f"), .character("/"), .character("w"), .character("?")] {
            let p = Pilot.kamailio()
            p.press(opening, .control("c"))
            #expect(p.state.shouldQuit, "\(opening)")
        }
    }

    /// Scrolling the help stops at its last line: coming back up moves at the first press.
    @Test func helpScrollingStopsAtTheEnd() {
        let p = Pilot.kamailio(width: 40, height: 24)
        p.press(.character("?"))
        for _ in 0..<200 { p.press(.character("j")) }
        let last = p.screen
        p.press(.character("k"))
        #expect(p.state.showHelp && p.screen != last)
        #expect(p.state.helpTop == HelpOverlay.lastTop(p.state) - 1)
    }

    /// At 60 columns the help's long lines wrap inside its box: scrolled through, every word of
    /// every line shows whole.
    @Test func narrowHelpWrapsInsteadOfCutting() {
        let p = Pilot.kamailio(width: 60, height: 15)
        p.press(.character("?"))
        var seen = Set<String>()
        for _ in 0..<60 {
            for row in p.screen.split(separator: "\n") {
                let inside = row.split(separator: "│", omittingEmptySubsequences: false)
                if inside.count == 3 { seen.formUnion(inside[1].split(separator: " ").map(String.init)) }
            }
            p.press(.character("j"))
        }
        let words = Set(HelpOverlay.lines().flatMap { $0.split(separator: " ").map(String.init) })
        #expect(words.subtracting(seen).isEmpty, "cut: \(words.subtracting(seen).sorted())")
    }

    /// The sessions screen counts SIP messages as `print --summary` does, HEP events apart (the
    /// call list's Msgs column counts them so too): "log-run" holds 7 messages and 3 events of
    /// its own, 2 more attached to its call.
    @Test func sessionMessagesLeaveEventsOut() throws {
        let url = try Scenarios.write(Scenarios.hlogEvents())
        let p = Pilot(paths: [url.path], width: 120, height: 40)
        func msgs(_ screen: String) -> String? {
            let lines = screen.split(separator: "\n").map(String.init)
            guard let header = lines.first(where: { $0.contains(" Msgs") }), let row = lines.first(where: { $0.hasPrefix(" log-run") }),
                  let end = header.range(of: "Msgs")?.upperBound else { return nil }
            let upTo = header.distance(from: header.startIndex, to: end)
            return row.prefix(upTo).split(separator: " ").last.map(String.init)
        }
        #expect(msgs(p.screen) == "7", "\(p.screen)")
        p.press(.character("f"))
        p.type("callid:log-call")
        p.press(.enter)
        #expect(msgs(p.screen) == "7", "\(p.screen)")
    }

    /// "What the filter shows" saves what `print --filter` and `save --filter` keep: the messages
    /// of the calls the filter matches, and the events it matches themselves (not every event
    /// attached to a matching call).
    @Test func savingWhatTheFilterShowsKeepsWhatPrintKeeps() throws {
        let url = try Scenarios.write(Scenarios.hlogEvents())
        let p = Pilot(paths: [url.path], width: 120, height: 40)
        p.press(.character("f"))
        p.type("method:INVITE")
        p.press(.enter, .character("w"))
        let dialog = try #require(p.state.saveDialog)
        let choice = try #require(dialog.choices.first { $0.scope == .filtered })
        let store = p.model.store, filter = try #require(p.state.filter)
        var expected = 0
        for c in store.calls.indices where filter.matches(call: Int32(c), in: store) { expected += store.messages(of: Int32(c)).count }
        for g in store.groups { expected += g.events.filter { filter.matches(message: $0, in: store) }.count }
        let attached = store.calls.indices.reduce(0) { $0 + store.events(of: Int32($1)).count }
        #expect(expected == 7 && attached == 2)
        #expect(choice.scope.selection(p.model, filter: filter).messages.count == expected)
        while p.state.saveDialog?.choices[p.state.saveDialog!.choice].scope != .filtered { p.press(.right) }
        #expect(p.screen.contains("what the filter shows (\(expected) messages)"), "\(p.screen)")
    }

    /// The save dialog says how many messages each choice writes: the count of what saving it
    /// would list, worked out without listing it.
    @Test func saveDialogCountsWhatEachChoiceSaves() throws {
        let p = Pilot.kamailio(width: 120, height: 40)
        p.press(.character("f"))
        p.type("status:486")
        p.press(.enter, .character("j"), .enter, .enter, .character("w"))
        let dialog = try #require(p.state.saveDialog)
        #expect(dialog.choices.count >= 4)
        var seen: [String] = []
        for choice in dialog.choices {
            let listed = choice.scope.selection(p.model, filter: p.state.filter).messages.count
            let line = "\(choice.label) (\(listed) message\(listed == 1 ? "" : "s"))"
            #expect(p.screen.contains(line), "\(line)\n\(p.screen)")
            seen.append(line)
            p.press(.right)
        }
        #expect(seen.contains("all messages (280 messages)"))
        #expect(seen.contains("what the filter shows (40 messages)"))
    }

    @Test func movementStaysInRange() {
        let p = Pilot.kamailio()
        p.press(.character("a"))
        p.press(.end)
        let rows = p.model.callRows(scope: .all, sort: .start, descending: false, filter: nil)
        #expect(p.state.top.cursor == Int(rows.last!.call))
        p.press(.down, .down, .pageDown)
        #expect(p.state.top.cursor == Int(rows.last!.call))
        p.press(.home, .up, .pageUp)
        #expect(p.state.top.cursor == Int(rows.first!.call))
        p.press(.pageDown)
        #expect(p.state.top.cursor == Int(rows[19].call))
        #expect(p.screen.contains(p.model.store.strings.string(p.model.store.calls[Int(rows[19].call)].callID).prefix(15)))
    }

    @Test func selectingCallsOpensOneLadderOfAll() {
        // Space marks the call under the cursor and leaves the cursor there; again, unmarks it.
        let once = Pilot.kamailio()
        once.press(.character("a"), .character(" "))
        #expect(once.state.top.marked.count == 1 && once.state.top.cursor.map(Int32.init) == once.state.top.marked.first)
        once.press(.character(" "))
        #expect(once.state.top.marked.isEmpty)
        let p = Pilot.kamailio()
        p.press(.character("a"), .character(" "), .character("j"), .character(" "), .character("j"), .character(" "), .enter)
        guard case .ladder(.calls(let calls)) = p.state.top.kind else {
            Issue.record("expected a ladder")
            return
        }
        #expect(calls.count == 3)
        #expect(p.screen.contains("Ladder of 3 calls"))
    }

    /// `c` says which colouring it chose, and that a terminal without colours will not show it.
    @Test func colourModeSaysWhenNothingWillShow() {
        let p = Pilot.kamailio()
        p.press(.enter, .enter)  // a ladder of one call: colours per transaction
        p.press(.character("c"))
        #expect(p.state.notice == "colours per call")
        p.state.options.monochrome = true
        p.press(.character("c"))
        #expect(p.state.notice == "colours per transaction (this terminal shows no colours)")
    }

    @Test func filterAndClear() {
        let p = Pilot.kamailio()
        p.press(.function(7))
        p.type("state:busy")
        p.press(.enter)
        #expect(p.state.filter?.expression == "state:busy")
        #expect(p.screen.contains("Test sessions (1)"))
        p.press(.function(9))
        #expect(p.state.filter == nil)
        #expect(p.screen.contains("Test sessions (2)"))
        // A mistake keeps the prompt open with the position of the error.
        p.press(.character("f"))
        p.type("state:")
        p.press(.enter)
        #expect(p.state.prompt?.error?.position == 6)
        p.press(.escape)
        #expect(p.state.prompt == nil)
        #expect(p.state.filter == nil)
    }

    /// The filter prompt edits where its cursor is: arrows, Home/End, Backspace and Delete,
    /// Ctrl-U and Ctrl-K as in a shell.
    @Test func thePromptEditsAtItsCursor() {
        let p = Pilot.kamailio()
        p.press(.character("f"))
        p.type("method:INVITE")
        p.press(.home)
        p.type("not ")
        #expect(p.state.prompt?.text == "not method:INVITE" && p.state.prompt?.cursor == 4)
        p.press(.end, .left, .left, .backspace, .delete)
        #expect(p.state.prompt?.text == "not method:INVE" && p.state.prompt?.cursor == 14)
        p.press(.control("a"), .right, .right, .right, .right, .control("k"))
        #expect(p.state.prompt?.text == "not ")
        p.type("state:busy")
        p.press(.left, .left, .left, .left, .control("u"))
        #expect(p.state.prompt?.text == "busy" && p.state.prompt?.cursor == 0)
        // On screen: the character under the cursor is shown reversed.
        let row = p.grid.height - 2
        let reversed = (0..<p.grid.width).filter { p.grid[$0, row].attributes.contains(.reverse) }
        #expect(reversed.map { p.grid[$0, row].character } == ["b"])
    }

    /// A long expression with a mistake far back: the cursor goes to it, the caret is under it,
    /// and a message too long for one row is wrapped whole on the rows above.
    @Test func aFilterMistakeOutOfViewIsShownWhole() {
        let p = Pilot.kamailio()
        p.press(.character("f"))
        p.type("state:weird or from:" + String(repeating: "a", count: 90))
        p.press(.enter)
        let error = try! #require(p.state.prompt?.error)
        #expect(error.position == 6 && p.state.prompt?.cursor == 6)
        let lines = p.screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let promptRow = lines[p.grid.height - 2]
        #expect(promptRow.hasPrefix("Filter: state:weird or from:a"), "\(promptRow)")
        let caretRow = lines[p.grid.height - 3]
        #expect(caretRow.firstIndex(of: "^").map { caretRow.distance(from: caretRow.startIndex, to: $0) } == 8 + 6)
        let message = lines[..<(p.grid.height - 3)].suffix(3).joined(separator: " ")
        #expect(message.contains("column 7: unknown state 'weird'") && message.contains("diverted"), "\(message)")
        // Moving toward the mistake keeps the message; an edit ends it.
        p.press(.right, .left)
        #expect(p.state.prompt?.error?.position == 6)
        p.press(.delete)
        #expect(p.state.prompt?.error == nil)
    }

    @Test func searchMovesToTheNextMatchAndWraps() {
        let p = Pilot.kamailio()
        p.press(.character("a"))
        p.type("/busy-3-")
        p.press(.enter)
        let s = p.model.store
        #expect(p.state.top.cursor.map { s.strings.string(s.calls[$0].callID) }?.hasPrefix("udp-busy-3-") == true)
        p.press(.character("n"))
        #expect(p.state.notice == "only match")
        p.type("/nothing-like-this")
        p.press(.enter)
        #expect(p.state.notice?.hasPrefix("no match") == true)
    }

    /// A search match right of the visible part of a message line, or left of it once scrolled
    /// sideways, is scrolled into view and marked (drawing a mark out of view once stopped the
    /// program: `CellGrid.paint` now takes any span, and this brings the match into view).
    @Test func aSearchMatchOutOfViewInAMessageIsBroughtIntoView() {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path])
        p.press(.enter, .enter, .character("j"), .character("j"), .character("j"), .enter)
        #expect(p.screen.contains("SIP/2.0 100 Trying"))
        p.press(.character("W"))  // long lines cut, scrolled sideways
        #expect(p.state.notice == "long lines cut (h and l scroll them)")
        func marked(_ g: CellGrid) -> [String] {
            (0..<g.height).compactMap { y in
                let cells = (0..<g.width).filter { g[$0, y].attributes.contains(.reverse) }
                return cells.isEmpty ? nil : String(cells.map { g[$0, y].character })
            }
        }
        // Scrolled past the start of every line, then a search for what is out of view: it is
        // brought into view, marked on exactly its cells.
        p.press(.character("l"), .character("l"), .character("l"), .character("l"))
        #expect(!p.screen.contains("Via:"))
        p.type("/Via")
        p.press(.enter)
        #expect(p.state.top.column == 0 && !marked(p.grid).isEmpty && marked(p.grid).allSatisfy { $0 == "Via" })
        p.type("/received")
        p.press(.enter)
        #expect(p.state.top.column > 0)  // the match lay right of the screen
        #expect(marked(p.grid) == ["received"])
        // Never past where scrolling right stops: `l` from there does not go left.
        let found = p.state.top.column
        p.press(.character("l"))
        #expect(p.state.top.column >= found)
    }

    /// Long lines wrap by default: the 100 Trying's Via (over 80 columns) reads whole on two
    /// rows, the second led by the continuation mark, with no sideways scroll; `W` cuts them
    /// again and `l` scrolls; a second `W` wraps them back.
    @Test func longLinesWrapUntilWCutsThem() throws {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path])
        p.press(.enter, .enter, .character("j"), .character("j"), .character("j"), .enter)
        guard case .message(let m) = p.state.top.kind else { Issue.record("no message"); return }
        let lines = p.model.messageText(m, glyphs: p.state.options.glyphs).lines
        let via = try #require(lines.first { $0.text.hasPrefix("Via:") && CellWidth.of($0.text) > 79 })
        let rows = p.screen.split(separator: "\n").map(String.init)
        let start = try #require(rows.firstIndex { $0.hasPrefix(" Via:") })
        // 79 cells on the first row, the rest after the mark on the next: nothing lost or cut.
        #expect(rows[start] == " " + String(via.text.prefix(79)), "\(rows[start])")
        let rest = String(via.text.dropFirst(79))
        #expect(rows[start + 1].hasPrefix(" ↪" + rest.prefix(78)), "\(rows[start + 1])")
        #expect(!p.screen.contains("…"))
        p.press(.character("l"))
        #expect(p.state.top.column == 0)
        // A search finds text across the wrap, and lands on the line's first row; the mark that
        // leads a wrapped row is not text.
        let across = String(via.text.dropFirst(75).prefix(8))
        p.type("/" + across)
        p.press(.enter)
        #expect(p.state.notice == nil, "\(p.state.notice ?? "")")
        let viaRow = p.model.messageLines(m, p.state).firstIndex { $0.text.hasPrefix("Via:") }
        let top = p.state.top.cursor ?? -1
        #expect(viaRow.map { top <= $0 && $0 < top + Update.textHeight(p.state) } == true && p.state.top.column == 0,
                "\(top) \(String(describing: viaRow))")
        #expect(p.screen.contains("Via:"))
        p.type("/↪")
        p.press(.enter)
        #expect(p.state.notice == "no match for ↪")
        // Every row drawn is a row the cursor and search count.
        #expect(p.model.rows(p.state.top, p.state).count > lines.count)
        p.press(.character("W"))
        #expect(!p.state.options.wrapLines && p.screen.contains("…"))
        p.press(.character("l"))
        #expect(p.state.top.column == 8)
        p.press(.character("W"))
        #expect(p.state.options.wrapLines && p.state.top.column == 0 && p.state.notice == "long lines wrapped")
        // ASCII terminals mark the next row with '+'.
        let ascii = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], ascii: true)
        ascii.press(.enter, .enter, .character("j"), .character("j"), .character("j"), .enter)
        #expect(ascii.screen.contains("\n +" + rest.prefix(20)))
    }

    /// `W` and a resize keep the line at the top of a message in view, though it now starts on
    /// another row (the wrapped lines above it take more rows, or fewer).
    @Test func wrappingKeepsTheLineAtTheTop() throws {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], width: 80, height: 8)
        p.press(.enter, .enter, .character("j"), .character("j"), .character("j"), .enter)
        guard case .message(let m) = p.state.top.kind else { Issue.record("no message"); return }
        func topLine() -> String? { p.state.top.cursor.map { p.model.messageLines(m, p.state)[$0].text } }
        let rows = p.model.messageLines(m, p.state)
        let from = try #require(rows.firstIndex { $0.text.hasPrefix("From:") })
        for _ in 0..<from { p.press(.character("j")) }
        #expect(topLine()?.hasPrefix("From:") == true, "\(topLine() ?? "")")
        p.press(.character("W"))
        #expect(topLine()?.hasPrefix("From:") == true && p.state.top.cursor! < from, "\(topLine() ?? "")")
        p.press(.character("W"))
        #expect(topLine()?.hasPrefix("From:") == true && p.state.top.cursor == from, "\(topLine() ?? "")")
        Update.update(&p.state, .resize(width: 60, height: 8), model: p.model)
        #expect(topLine()?.hasPrefix("From:") == true, "\(topLine() ?? "")")
    }

    /// Spans that lie off the grid or run backwards (a mark scrolled out of view) paint and
    /// fill nothing, rather than stopping the program.
    @Test func gridSpansOffTheGridDoNothing() {
        var g = CellGrid(width: 10, height: 3)
        g.paint(y: 1, from: 14, to: 9, adding: .reverse)
        g.paint(y: 1, from: -6, to: -2, adding: .reverse)
        g.paint(y: 5, from: 0, to: 10, adding: .reverse)
        g.fill(x: 12, y: 0, width: 3, role: .error)
        g.fill(x: 2, y: 2, width: -4, role: .error)
        g.fill(x: 0, y: -3, height: 2, role: .error)
        #expect((0..<3).allSatisfy { y in (0..<10).allSatisfy { g[$0, y].attributes.isEmpty && g[$0, y].role == .normal } })
        g.paint(y: 1, from: 8, to: 20, adding: .reverse)
        #expect((0..<10).filter { g[$0, 1].attributes.contains(.reverse) } == [8, 9])
    }

    /// At 60 columns a three-endpoint ladder still shows two endpoints side by side, so that
    /// an arrow has both its ends, rather than one wide column.
    @Test func aNarrowLadderKeepsTwoEndpoints() {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], width: 60, height: 20)
        p.press(.enter, .enter)
        guard case .ladder = p.state.top.kind else { Issue.record("no ladder: \(p.state.top.kind)"); return }
        let header = String(p.screen.split(separator: "\n")[1])
        #expect(header.components(separatedBy: "127.0.0.1:").count - 1 == 2, "\(header)")
    }

    /// Time since start has a shorter title in its narrow column, whole beside the mark of
    /// columns scrolled out on the left.
    @Test func theSinceStartTitleStaysWhole() {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], width: 50, height: 12)
        p.press(.character("a"), .enter, .character("t"), .character("t"), .character("l"))
        let header = String(p.screen.split(separator: "\n")[1])
        #expect(header.hasPrefix(" since 0") && header.contains("◀"), "\(header)")
    }

    /// The CSeq column grows only when that costs nothing else: at 120 columns a three-endpoint
    /// ladder keeps the message beside it rather than a 15-cell CSeq; at 160 it has both.
    @Test func aWiderCSeqNeverCostsTheMessagePane() throws {
        for (width, cseq) in [(120, 11), (160, 15)] {
            let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], width: width, height: 30)
            p.press(.enter, .enter)
            guard case .ladder(let scope) = p.state.top.kind else { Issue.record("no ladder"); return }
            var ladder = p.model.ladder(scope, as: p.state)
            #expect(ladder.columns.count == 3)
            ladder.longestCSeq = "1000 REGISTER".count
            let g = LadderScreen.geometry(ladder, p.state, column: 0)
            #expect(g.previewX != nil && g.infoWidth == cseq && g.visible == 3, "\(width): \(g)")
        }
    }

    /// A long CSeq (a big number, REGISTER) shows whole where there is room: the CSeq column
    /// grows when that costs no endpoint column.
    @Test(.enabled(if: Fixtures.publicCapture("heplify_sip_tcp_websocket.pcap").map { FileManager.default.fileExists(atPath: $0.path) } ?? false,
                   "../shared/captures/public is absent"))
    func aLongCSeqShowsWhole() throws {
        let p = Pilot(paths: [try #require(Fixtures.publicCapture("heplify_sip_tcp_websocket.pcap")).path], width: 120, height: 30)
        p.press(.enter, .enter)
        guard case .ladder(let scope) = p.state.top.kind else { Issue.record("no ladder: \(p.state.top.kind)"); return }
        let longest = try #require(p.model.ladder(scope, as: p.state).rows.map(\.cseq).max { $0.count < $1.count })
        #expect(longest.count > 9)
        // (The message beside the ladder holds it too: what counts is that no row cuts it.)
        let cut = (1..<longest.count).map { String(longest.prefix($0)) + "…" }.filter { p.screen.contains($0) }
        #expect(cut.isEmpty, "\(cut)\n\(p.screen)")
    }

    /// Scrolling right stops once the longest line's end (or the ladder's last column) is in
    /// view, so that coming back takes no more keys than going.
    @Test func sidewaysScrollingStopsAtTheEnd() {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path])
        p.press(.enter, .enter, .character("j"), .character("j"), .character("j"), .enter)
        guard case .message(let m) = p.state.top.kind else { Issue.record("no message"); return }
        p.press(.character("W"))  // long lines cut, scrolled sideways
        let lines = p.model.messageText(m, glyphs: p.state.options.glyphs).lines
        let longest = try! #require(lines.max { CellWidth.of($0.text) < CellWidth.of($1.text) })
        #expect(CellWidth.of(longest.text) > 80)
        for _ in 0..<40 { p.press(.right) }
        let limit = p.state.top.column
        #expect(limit > 0 && limit < CellWidth.of(longest.text))
        // The end of the longest line is on screen, whole.
        #expect(p.screen.contains(String(longest.text.suffix(20))))
        for _ in 0..<(limit / 8) { p.press(.left) }
        #expect(p.state.top.column == 0)
        // The ladder: no further than its last endpoint column.
        let narrow = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path], width: 50, height: 12)
        narrow.press(.character("a"), .enter)
        for _ in 0..<10 { narrow.press(.right) }
        let stop = narrow.state.top.column
        #expect(stop > 0 && stop < 10)
        narrow.press(.left)
        #expect(narrow.state.top.column == max(0, stop - 1))
    }

    @Test func followStaysOnTheNewestAndMovingStopsIt() throws {
        let (model, events) = try liveModel()
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .key(.character("a")), model: model)
        Update.update(&state, .key(.character("F")), model: model)
        #expect(state.follow)
        for e in events {
            model.ingest([e])
            Update.update(&state, .dataChanged, model: model)
            let rows = model.callRows(scope: .all, sort: .start, descending: false, filter: nil)
            #expect(state.top.cursor == rows.last.map { Int($0.call) })
        }
        Update.update(&state, .key(.up), model: model)
        #expect(!state.follow)
    }

    /// Follow goes by arrival, not by the packets' own times: a session replayed with old
    /// timestamps (or sent by an agent whose clock is behind) is the newest when it arrives last.
    @Test func followGoesToWhatArrivedLastWhateverItsTime() throws {
        let (model, events) = try liveModel()
        model.ingest(events)
        let agent = Endpoint(address: .v4(0x0a00_0001), port: 5060), proxy = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        var pcap = PcapWriter()
        let old = Timestamp(nanoseconds: 1_000_000_000)  // 1970: before everything in the recording
        let invite = Array(("INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKlate\r\nFrom: <sip:a@x>;tag=1\r\n"
            + "To: <sip:b@x>\r\nCall-ID: late@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8)
        pcap.append(FrameBuilder.udp(from: agent, to: Endpoint(address: .v4(0x7f00_0001), port: 9060),
                                     payload: HEPBuilder.sip(invite, from: agent, to: proxy, time: old, correlationID: "late-run")),
                    time: old)
        let url = try Scenarios.write(pcap.bytes, name: "late.pcap")
        let queue = IngestQueue()
        PacedReplay.replay(path: url.path, source: model.addSource(name: "late", kind: .listener), queue: queue,
                           speed: 1, sleep: { _ in })
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .key(.character("F")), model: model)
        model.ingest(queue.drain())
        Update.update(&state, .dataChanged, model: model)
        #expect(state.top.cursor.map { model.groupName($0) } == "late-run")
        Update.update(&state, .key(.enter), model: model)
        #expect(state.top.cursor.map { model.store.strings.string(model.store.calls[$0].callID) } == "late@x")
    }

    @Test func selectionStaysOnItsCallWhileRowsAreInsertedAbove() throws {
        let (model, events) = try liveModel()
        var state = ViewerState(width: 120, height: 14)
        let half = events.count / 2
        model.ingest(Array(events[..<half]))
        Update.update(&state, .dataChanged, model: model)
        // All calls, newest first: new calls arrive above the cursor.
        Update.update(&state, .key(.character("a")), model: model)
        Update.update(&state, .key(.character("S")), model: model)
        Update.update(&state, .key(.home), model: model)
        for _ in 0..<3 { Update.update(&state, .key(.down), model: model) }
        #expect(model.callRows(scope: .all, sort: .start, descending: true, filter: nil).count > 10)
        let chosen = state.top.cursor
        let before = Renderer.render(state, model: model)
        let rowBefore = cursorRow(before)
        let callID = model.store.strings.string(model.store.calls[chosen!].callID)
        #expect(rowBefore.map { before.line($0).contains(callID) } == true)
        let countBefore = model.callRows(scope: .all, sort: .start, descending: true, filter: nil).count

        for e in events[half...] {
            model.ingest([e])
            Update.update(&state, .dataChanged, model: model)
        }
        let countAfter = model.callRows(scope: .all, sort: .start, descending: true, filter: nil).count
        #expect(countAfter > countBefore)
        #expect(state.top.cursor == chosen)
        let after = Renderer.render(state, model: model)
        // Same call, same place on the screen.
        #expect(cursorRow(after) == rowBefore)
        #expect(cursorRow(after).map { after.line($0).contains(callID) } == true)
    }

    @Test func resizeKeepsTheCursorAndRedrawsAtTheNewSize() {
        let p = Pilot.kamailio(width: 120, height: 40)
        p.press(.character("a"))
        for _ in 0..<30 { p.press(.down) }
        let chosen = p.state.top.cursor
        Update.update(&p.state, .resize(width: 80, height: 24), model: p.model)
        #expect(p.state.top.cursor == chosen)
        let grid = p.grid
        #expect(grid.width == 80 && grid.height == 24)
        let row = cursorRow(grid)
        #expect(row != nil)
        let id = p.model.store.strings.string(p.model.store.calls[chosen!].callID)
        #expect(row.map { grid.line($0).contains(id.prefix(12)) } == true)
        Update.update(&p.state, .resize(width: 10, height: 3), model: p.model)
        #expect(p.screen.contains("window too"))
    }

    @Test func unsafeBytesAreShownAsEscapes() throws {
        let url = try Scenarios.write(HostileCapture.pcap(), name: "hostile.pcap")
        let p = Pilot(paths: [url.path], width: 120, height: 40)
        p.press(.enter)
        let calls = p.screen
        #expect(calls.contains("evil\\x07call@x"))
        p.press(.enter, .enter)
        let message = p.screen
        #expect(message.contains(#"From: "\e[2Jevil" <sip:mal\u{202e}lory@example.com>;tag=1"#))
        #expect(message.contains(#"Subject: bad \xff\xfe utf8"#))
        for screen in [calls, message] {
            #expect(!screen.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            #expect(!screen.unicodeScalars.contains { $0.value == 0x202e })
        }
    }

    /// The Kamailio capture as the batches a live source would post, a few messages each.
    func liveModel() throws -> (ViewerModel, [IngestEvent]) {
        let queue = IngestQueue()
        let model = ViewerModel(session: TraceSession())
        model.clock = { 0 }
        let source = model.addSource(name: "live", kind: .listener)
        PacedReplay.replay(path: Fixtures.kamailio("hep-kamailio-udp.pcap").path, source: source, queue: queue,
                           speed: 1, sleep: { _ in })
        let events = queue.drain()
        #expect(events.count > 20)
        return (model, events)
    }
}

/// One SIP message over Ethernet/IPv4/UDP whose headers carry an escape sequence, a bidi
/// override, a bell and invalid UTF-8.
enum HostileCapture {
    static func pcap() -> [UInt8] {
        let sip = Array("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n".utf8)
            + Array("From: \"\u{1b}[2Jevil\" <sip:mal\u{202e}lory@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n".utf8)
            + Array("Call-ID: evil\u{07}call@x\r\nCSeq: 1 INVITE\r\nSubject: bad ".utf8) + [0xff, 0xfe]
            + Array(" utf8\r\nContent-Length: 0\r\n\r\n".utf8)
        var udp: [UInt8] = [0x13, 0xc4, 0x13, 0xc4]
        udp += be16(8 + sip.count) + [0, 0] + sip
        var ip: [UInt8] = [0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10, 192, 0, 2, 20]
        let total = be16(20 + udp.count)
        ip[2] = total[0]
        ip[3] = total[1]
        let frame = [UInt8](repeating: 0x02, count: 12) + [0x08, 0x00] + ip + udp
        var out: [UInt8] = le32(0xa1b2_c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        out += le32(1_800_000_000) + le32(0) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        return out
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xff) } }
}

/// The memory budget rebuilds the store without whole groups (and, from a session alone over
/// it, its oldest calls), renumbering what stays: screens on what stays follow it to its new
/// numbers; screens on what was dropped close.
@Suite struct EvictionTests {
    struct Run {
        var before: [ScreenKind]
        var after: ViewerState
        var model: ViewerModel
        var payload: [UInt8]
        var marked: [UInt8]
        var correlation: String?
    }

    /// A replayed Kamailio session (two correlation ids) in a model whose budget keeps only
    /// the newest call of the most recently active group once the source ends; the viewer opens
    /// the session on row `row`, its first call (or, with `newestCall`, its last), that call's
    /// ladder with a message marked, and the message two rows down; then the source's end arrives.
    /// The replayed Kamailio session into `model`, as a live source's events; its end, which
    /// checks the memory budget, is returned to be posted when the test wants.
    static func replayAllButTheEnd(into model: ViewerModel) -> IngestEvent {
        let queue = IngestQueue()
        model.clock = { 0 }
        let source = model.addSource(name: "live", kind: .listener)
        PacedReplay.replay(path: Fixtures.kamailio("hep-kamailio-udp.pcap").path, source: source, queue: queue,
                           speed: 1, sleep: { _ in })
        var events = queue.drain()
        let finished = events.removeLast()
        model.ingest(events)
        return finished
    }

    /// Packets that came but were all dropped (a wrong `--hep-key`): the empty first screen
    /// says why, not only that it waits.
    @Test func anEmptyScreenSaysWhyPacketsWereNotKept() {
        let model = ViewerModel(session: TraceSession())
        let queue = IngestQueue()
        let source = model.addSource(name: "capture", kind: .file)
        BackgroundLoader.load(path: Fixtures.kamailio("hep-kamailio-udp.pcap").path, source: source, queue: queue,
                              hepKey: Array("secret".utf8))
        model.ingest(queue.drain())
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .dataChanged, model: model)
        let screen = Renderer.render(state, model: model).text
        #expect(screen.contains("no SIP messages; not kept: 280 HEP auth key mismatch"), "\(screen)")
        // Nothing dropped: only the plain words.
        let empty = ViewerModel(session: TraceSession())
        #expect(Renderer.render(state, model: empty).text.contains("  no SIP messages\n"))
    }

    /// Two evictions, each seen: the notice after the second says all that was dropped, not
    /// what the second dropped alone.
    @Test func theBudgetsNoticeCountsEverythingDroppedSoFar() {
        let model = ViewerModel(session: TraceSession(configuration: .init(memoryLimit: 1)))
        var state = ViewerState(width: 80, height: 24)
        for round in 1...2 {
            model.ingest([EvictionTests.replayAllButTheEnd(into: model)])
            Update.update(&state, .dataChanged, model: model)
            #expect(model.evictions == round)
        }
        let c = model.store.counters
        #expect(c.evictedGroups == 2 && c.evictedCalls > 19)
        #expect(state.notice == "memory budget: 2 session(s) and \(c.evictedCalls) ended call(s) dropped so far", "\(state.notice ?? "")")
    }

    static func scenario(row: Int, newestCall: Bool) throws -> Run {
        let model = ViewerModel(session: TraceSession(configuration: .init(memoryLimit: 1)))
        let finished = replayAllButTheEnd(into: model)
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .dataChanged, model: model)
        for _ in 0..<row { Update.update(&state, .key(.down), model: model) }
        Update.update(&state, .key(.enter), model: model)
        if newestCall { Update.update(&state, .key(.end), model: model) }
        for k in [Key.enter, .down, .character(" "), .down, .enter] { Update.update(&state, .key(k), model: model) }
        guard case .message(let m) = state.top.kind, case .ladder = state.stack[2].kind,
              let markedMessage = state.stack[2].marked.first else {
            Issue.record("expected a message screen over a ladder with a marked message, got \(state.stack.map(\.kind))")
            throw CancellationError()
        }
        let s = model.store
        let payload = s.withPayload(of: s.messages[Int(m)]) { [UInt8]($0) }
        let marked = s.withPayload(of: s.messages[Int(markedMessage)]) { [UInt8]($0) }
        let before = state.stack.map(\.kind)
        let correlation = s.correlationID(ofMessage: m)
        // The save dialog open over it, a file name typed.
        Update.update(&state, .key(.character("w")), model: model)
        state.saveDialog?.path = "kept-name.pcap"
        #expect(state.saveDialog?.choices.first?.scope == .message(m))
        model.ingest([finished])  // the end of a source checks the memory budget
        #expect(model.evictions == 1 && model.store.counters.evictedGroups == 1)
        Update.update(&state, .dataChanged, model: model)
        _ = Renderer.render(state, model: model)
        return Run(before: before, after: state, model: model, payload: payload, marked: marked, correlation: correlation)
    }

    @Test func screensOnWhatStaysFollowItAndOthersClose() throws {
        let newest = try [0, 1].map { try Self.scenario(row: $0, newestCall: true) }
        #expect(Set(newest.map(\.correlation)).count == 2)
        let stayed = newest.filter { $0.after.stack.count == 4 }
        let dropped = newest.filter { $0.after.stack.count == 1 }
        #expect(stayed.count == 1 && dropped.count == 1)
        for run in dropped {
            #expect(run.after.top.kind == .groups)
            #expect(run.after.notice == "memory budget: 1 session(s) and 19 ended call(s) dropped so far", "\(run.after.notice ?? "")")
            // What the budget let go is said apart from what never came in.
            let status = String(Renderer.render(run.after, model: run.model).text.split(separator: "\n").last ?? "")
            let evicted = run.model.store.counters.evictedMessages
            #expect(evicted > 0 && status.contains("dropped 0 │ evicted \(Format.count(evicted)) │"), "\(status)")
        }
        for run in stayed {
            let s = run.model.store
            // The same screens, on the same session, call and message, under their new numbers.
            guard case .message(let m) = run.after.top.kind, case .ladder(.calls(let calls)) = run.after.stack[2].kind,
                  case .calls(.group(let g)) = run.after.stack[1].kind else {
                Issue.record("screens changed kind: \(run.after.stack.map(\.kind))")
                continue
            }
            #expect(s.withPayload(of: s.messages[Int(m)]) { [UInt8]($0) } == run.payload)
            #expect(s.correlationID(ofMessage: m) == run.correlation)
            #expect(calls.count == 1 && s.messages[Int(m)].call == calls[0])
            #expect(s.groupIndex(ofMessage: m) == g && run.after.stack[0].cursor == g)
            #expect(run.after.stack[1].cursor == Int(calls[0]))
            let marked = try #require(run.after.stack[2].marked.first)
            #expect(s.withPayload(of: s.messages[Int(marked)]) { [UInt8]($0) } == run.marked)
            #expect(run.after.stack[2].cursor == Int(m))
            #expect(run.before != run.after.stack.map(\.kind))  // the numbers did move
            // The save dialog offers the same message under its new number.
            #expect(run.after.saveDialog?.choices.first?.scope == .message(m))
            #expect(run.after.saveDialog?.path == "kept-name.pcap")
        }
        // On the first (oldest) call of the session that stays, that call is gone: back to
        // the session's call list, which now holds its newest call.
        let oldest = try Self.scenario(row: stayed.isEmpty ? 0 : (newest[0].after.stack.count == 4 ? 0 : 1), newestCall: false)
        #expect(oldest.after.stack.count == 2)
        guard case .calls(.group(let g)) = oldest.after.top.kind else {
            Issue.record("expected the session's call list, got \(oldest.after.stack.map(\.kind))")
            return
        }
        #expect(oldest.model.store.groups[g].calls.count == 1 && oldest.model.store.groups[g].droppedCalls == 19)
        #expect(oldest.model.store.correlationID(of: oldest.model.store.groups[g]) == oldest.correlation)
    }
}

/// With the viewer, an eviction is rebuilt on another thread: the screens go on answering keys
/// on the old model meanwhile, and what they stand on when it is adopted is followed.
@Suite struct EvictionAsideViewerTests {
    struct Run {
        var state: ViewerState
        var model: ViewerModel
        var payload: [UInt8]
        var keysWhileRebuilding: Int
    }

    static func scenario(row: Int) throws -> Run {
        var session = TraceSession(configuration: .init(memoryLimit: 1, evictionsByOwner: true))
        let gate = DispatchSemaphore(value: 0), ready = DispatchSemaphore(value: 0)
        session.beforeEvictionRebuild = { gate.wait() }
        session.evictionReady = { ready.signal() }
        let model = ViewerModel(session: session)
        let finished = EvictionTests.replayAllButTheEnd(into: model)
        var state = ViewerState(width: 80, height: 24)
        Update.update(&state, .dataChanged, model: model)
        for _ in 0..<row { Update.update(&state, .key(.down), model: model) }
        for k in [Key.enter, .end, .enter, .enter] { Update.update(&state, .key(k), model: model) }
        model.ingest([finished])  // the end of a source checks the budget: the rebuild starts
        #expect(model.isEvictingAside && model.evictions == 0)
        // Meanwhile, keys: back to the ladder, two messages down, open that one.
        var keys = 0
        var statusLines: [String] = []
        for k in [Key.escape, .down, .down, .enter] {
            Update.update(&state, .key(k), model: model)
            let grid = Renderer.render(state, model: model)
            statusLines.append(grid.line(grid.height - 1))
            keys += 1
        }
        #expect(statusLines.allSatisfy { $0.contains("freeing memory") }, "\(statusLines)")
        guard case .message(let m) = state.top.kind else {
            Issue.record("expected a message screen, got \(state.stack.map(\.kind))")
            throw CancellationError()
        }
        let payload = model.store.withPayload(of: model.store.messages[Int(m)]) { [UInt8]($0) }
        #expect(model.evictions == 0 && !model.advance())
        gate.signal()
        #expect(ready.wait(timeout: .now() + 30) == .success)
        #expect(model.advance() && model.evictions == 1)
        while model.hasHeldWork { model.advance() }
        Update.update(&state, .dataChanged, model: model)
        let grid = Renderer.render(state, model: model)
        #expect(!grid.line(grid.height - 1).contains("freeing memory"))
        return Run(state: state, model: model, payload: payload, keysWhileRebuilding: keys)
    }

    @Test func keysAreAnsweredWhileTheRebuildRunsAndItsOutcomeFollowsThem() throws {
        let runs = try [0, 1].map { try Self.scenario(row: $0) }
        let stayed = runs.filter { $0.state.stack.count == 4 }
        #expect(stayed.count == 1 && runs.filter { $0.state.stack.count == 1 }.count == 1)
        for run in stayed {
            #expect(run.keysWhileRebuilding == 4)
            // The message opened while the rebuild ran, under its new number.
            guard case .message(let m) = run.state.top.kind else {
                Issue.record("expected a message screen, got \(run.state.stack.map(\.kind))")
                continue
            }
            let s = run.model.store
            #expect(s.withPayload(of: s.messages[Int(m)]) { [UInt8]($0) } == run.payload)
            #expect(run.state.stack[2].cursor == Int(m))
        }
    }
}
