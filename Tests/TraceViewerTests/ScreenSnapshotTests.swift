import Foundation
import Testing
import TestSupport
import TraceModel
import TraceViewer

/// Every screen, rendered to text and compared with Snapshots/<screen>-<size>-<glyphs>.txt.
/// HEPSCOPE_RECORD_SNAPSHOTS=1 records them again when a change is intended.
@Suite struct ScreenSnapshotTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var width: Int, height: Int, ascii: Bool
        var name: String { "\(width)x\(height)-\(ascii ? "ascii" : "utf8")" }
        var testDescription: String { name }
    }

    static let variants = [
        Variant(width: 80, height: 24, ascii: false), Variant(width: 80, height: 24, ascii: true),
        Variant(width: 120, height: 40, ascii: false), Variant(width: 120, height: 40, ascii: true),
    ]

    // Written once: the parallel variants must not write the same file at the same time.
    static let xcidChain = try! Scenarios.write(Scenarios.xcidChain())
    static let hlogEvents = try! Scenarios.write(Scenarios.hlogEvents())
    static let duplicateSightings = try! Scenarios.write(Scenarios.duplicateSightings())

    func kamailio(_ v: Variant) -> Pilot { Pilot.kamailio(width: v.width, height: v.height, ascii: v.ascii) }

    func check(_ p: Pilot, _ screen: String, _ v: Variant, sourceLocation: SourceLocation = #_sourceLocation) {
        Snapshot.check(p.screen, named: "\(screen)-\(v.name)", sourceLocation: sourceLocation)
    }

    @Test(arguments: variants) func groups(_ v: Variant) {
        check(kamailio(v), "groups", v)
    }

    @Test(arguments: variants) func calls(_ v: Variant) {
        let p = kamailio(v)
        p.press(.down, .enter)
        check(p, "calls", v)
    }

    @Test(arguments: variants) func allCallsSortedByState(_ v: Variant) {
        let p = kamailio(v)
        p.press(.character("a"))
        for _ in 0..<5 { p.press(.character("s")) }  // start -> ... -> state
        p.press(.character("S"), .character(" "), .character("j"), .character(" "), .character("j"))
        check(p, "calls-all-by-state", v)
    }

    @Test(arguments: variants) func ladder(_ v: Variant) {
        let p = kamailio(v)
        p.press(.down, .enter)
        p.type("/busy")
        p.press(.enter, .enter)
        check(p, "ladder", v)
    }

    @Test(arguments: variants) func ladderOfReinviteCallWithDeltas(_ v: Variant) {
        let p = kamailio(v)
        p.press(.down, .enter, .enter, .character("t"), .down, .down, .down)
        check(p, "ladder-reinvite-delta", v)
    }

    @Test(arguments: variants) func ladderOfGroupWithMergedPorts(_ v: Variant) {
        let p = kamailio(v)
        p.press(.character("v"), .character("m"))
        check(p, "ladder-group-merged", v)
    }

    @Test(arguments: variants) func message(_ v: Variant) {
        let p = kamailio(v)
        p.press(.down, .enter)
        p.type("/busy")
        p.press(.enter, .enter)
        p.type("/486")
        p.press(.enter, .enter)
        check(p, "message", v)
    }

    @Test(arguments: variants) func diff(_ v: Variant) {
        let p = kamailio(v)
        // The two INVITEs of a re-INVITE call: the second carries the To tag and CSeq 2.
        p.press(.down, .enter, .enter)
        p.type("/INVITE 1 INVITE")
        p.press(.enter, .character(" "))
        p.type("/INVITE 2 INVITE")
        p.press(.enter, .character(" "), .character("d"))
        check(p, "diff", v)
    }

    @Test(arguments: variants) func help(_ v: Variant) {
        let p = kamailio(v)
        p.press(.character("?"))
        check(p, "help", v)
    }

    @Test(arguments: variants) func filterError(_ v: Variant) {
        let p = kamailio(v)
        p.press(.character("f"))
        p.type("state:busy and status:9")
        p.press(.enter)
        check(p, "filter-error", v)
    }

    @Test(arguments: variants) func filtered(_ v: Variant) {
        let p = kamailio(v)
        p.press(.character("f"))
        p.type("state:busy")
        p.press(.enter, .character("a"))
        check(p, "calls-filtered", v)
    }

    @Test(arguments: variants) func linkedLegs(_ v: Variant) throws {
        let url = Self.xcidChain
        let p = Pilot(paths: [url.path], width: v.width, height: v.height, ascii: v.ascii)
        p.press(.character("a"))
        Snapshot.check(p.screen.replacingOccurrences(of: url.lastPathComponent, with: "xcid-chain.pcap"),
                       named: "calls-linked-\(v.name)")
    }

    @Test(arguments: variants) func hlogNotesOnTheLadder(_ v: Variant) throws {
        let url = Self.hlogEvents
        let p = Pilot(paths: [url.path], width: v.width, height: v.height, ascii: v.ascii)
        p.press(.character("v"))
        Snapshot.check(p.screen, named: "ladder-hlog-\(v.name)")
    }

    @Test(arguments: variants) func sightingsInTheMessage(_ v: Variant) throws {
        let url = Self.duplicateSightings
        let p = Pilot(paths: [url.path], width: v.width, height: v.height, ascii: v.ascii)
        p.press(.enter, .enter, .enter)
        Snapshot.check(p.screen, named: "message-sightings-\(v.name)")
    }

    /// IPv6 endpoints shortened in their middle (the public heplify capture), and a
    /// retransmission marked on the ladder (sngrep's fragmented IPv6 capture).
    @Test(arguments: variants) func ipv6AndRetransmissions(_ v: Variant) throws {
        for (file, name) in [("heplify_sip_ipv6_udp.pcap", "ladder-ipv6"), ("sngrep_ipv6frag.pcap", "ladder-retransmission")] {
            guard let url = Fixtures.publicCapture(file), FileManager.default.fileExists(atPath: url.path) else { continue }
            let p = Pilot(paths: [url.path], width: v.width, height: v.height, ascii: v.ascii)
            p.press(.enter, .enter)
            Snapshot.check(p.screen, named: "\(name)-\(v.name)")
        }
    }
}

@Suite struct SaveDialogTests {
    @Test(arguments: ScreenSnapshotTests.variants) func saveDialogGolden(_ v: ScreenSnapshotTests.Variant) {
        let p = Pilot.kamailio(width: v.width, height: v.height, ascii: v.ascii)
        p.press(.down, .enter)  // calls of the busy session
        p.type("/busy-3")
        p.press(.enter, .function(2))
        Snapshot.check(p.screen, named: "save-dialog-\(v.name)")
    }

    /// The calls of no session are named as such, not as "this session ((uncorrelated))".
    @Test func theUncorrelatedCallsAreNamedAsSuch() {
        let p = Pilot(paths: [Fixtures.kamailio("sip-plain-udp.pcap").path])
        p.press(.enter, .character("w"))
        let labels = p.state.saveDialog?.choices.map(\.label) ?? []
        #expect(labels.contains("the uncorrelated calls") && !labels.contains { $0.contains("((") }, "\(labels)")
        p.press(.escape, .escape, .character("w"))
        let fromSessions = p.state.saveDialog?.choices.map(\.label) ?? []
        #expect(fromSessions.contains("the uncorrelated calls"), "\(fromSessions)")
    }

    @Test func choicesFollowTheContextAndEnterAsksTheBackend() {
        let p = Pilot.kamailio()
        p.press(.down, .enter)
        p.type("/busy-3")
        p.press(.enter, .character(" "), .character("w"))
        guard let d = p.state.saveDialog else { Issue.record("no dialog"); return }
        #expect(d.choices.map(\.label) == ["the selected call", "the call under the cursor",
                                           "this session (tb-20261127T015517Z-udp-b)", "all messages"])
        // A name without a known extension is refused, with the reason in the dialog.
        p.press(.control("u"))
        p.type("out.doc")
        // What the name should end with, whole, however narrow the box.
        #expect(p.screen.contains(".svg or .html"), "\(p.screen)")
        p.press(.enter)
        #expect(p.state.saveDialog?.error?.hasPrefix("unknown extension") == true)
        #expect(p.state.pendingSave == nil)
        p.press(.control("u"))
        p.type("busy.mmd")
        p.press(.right, .enter)
        let request = p.state.pendingSave
        #expect(request?.format == .mermaid && request?.path == "busy.mmd" && request?.replace == false)
        if case .calls(let calls)? = request?.scope {
            #expect(calls.count == 1)
            let selection = request!.scope.selection(p.model, filter: nil)
            #expect(selection.messages.count == 4)
        } else {
            Issue.record("expected one call, got \(String(describing: request?.scope))")
        }
        // The dialog waits for the backend: a name taken keeps it open, and Enter on the same
        // name again asks for the file to be replaced; another name asks afresh.
        p.state.pendingSave = nil
        Update.finishSave(&p.state, .exists(where: "/home/u/busy.mmd"))
        #expect(p.state.saveDialog?.error == "/home/u/busy.mmd exists: Enter replaces it, or type another name")
        #expect(p.screen.contains("busy.mmd exists"))
        p.press(.enter)
        #expect(p.state.pendingSave?.replace == true)
        p.state.pendingSave = nil
        Update.finishSave(&p.state, .failed("busy.mmd: cannot write: Permission denied; nothing was saved"))
        #expect(p.state.saveDialog?.path == "busy.mmd")
        #expect(p.state.saveDialog?.error?.hasPrefix("not saved: busy.mmd: cannot write") == true)
        p.press(.control("u"))
        p.type("busy2.mmd")
        p.press(.enter)
        #expect(p.state.pendingSave?.replace == false && p.state.pendingSave?.path == "busy2.mmd")
        Update.finishSave(&p.state, .saved(notice: "saved 4 messages to /home/u/busy.mmd"))
        #expect(p.state.saveDialog == nil && p.state.notice == "saved 4 messages to /home/u/busy.mmd")
        // The next save offers that name again, to change rather than type anew.
        p.press(.character("w"))
        #expect(p.state.saveDialog?.path == "busy2.mmd")
    }

    /// Reading a message (or a diff), its call and its session can be saved from there.
    @Test func aMessageOffersItsCallAndSession() throws {
        let p = Pilot.kamailio()
        p.press(.enter, .enter, .enter, .character("w"))
        guard case .message(let m) = p.state.top.kind else { Issue.record("no message: \(p.state.top.kind)"); return }
        let call = p.model.store.messages[Int(m)].call
        #expect(p.state.saveDialog?.choices.map(\.label) == ["this message", "its call", "this session (tb-20261127T015517Z-udp-a)",
                                                            "all messages"])
        #expect(p.state.saveDialog?.choices[1].scope == .calls([call]))
        // Two messages of one call, diffed.
        p.press(.escape, .escape)
        p.press(.character(" "), .down, .character(" "), .character("d"), .character("w"))
        #expect(p.state.saveDialog?.choices.map(\.label) == ["these two messages", "their call", "this session (tb-20261127T015517Z-udp-a)",
                                                            "all messages"], "\(p.state.saveDialog?.choices.map(\.label) ?? [])")
    }

    /// At 80 columns a long choice gives way inside the box: its message count and the arrow
    /// stay; beside the box, nothing of the screen under it shows.
    @Test func aLongChoiceKeepsItsCountAndTheBoxItsMargin() throws {
        let p = Pilot.kamailio()
        p.press(.function(2))
        let what = try #require(p.screen.split(separator: "\n").first { $0.contains("What:") })
        #expect(what.contains("messages) ▶"), "\(what)")
        #expect(what.contains("udp-a)"), "the end of the session's id, which tells it from udp-b: \(what)")
        // On a call's ladder the call's session is a choice too.
        p.press(.escape, .enter, .enter, .character("w"))
        #expect(p.state.saveDialog?.choices.map(\.label).contains("this session (tb-20261127T015517Z-udp-a)") == true,
                "\(p.state.saveDialog?.choices.map(\.label) ?? [])")
        p.press(.escape, .escape, .escape)
        // The help over the call list, whose long rows end in an ellipsis at the last column.
        p.press(.escape, .down, .enter)
        #expect(p.screen.split(separator: "\n").contains { $0.hasSuffix("…") })
        p.press(.character("?"))
        let rows = p.screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let boxRows = rows.filter { $0.count > 2 && $0[1] == "│" }
        #expect(boxRows.count > 10)
        // (The text of a row leaves out its trailing blanks.)
        for row in boxRows { #expect(row[0] == " " && (row.count < 80 || row[79] == " "), "\(String(row))") }
    }

    @Test func escapeCancels() {
        let p = Pilot.kamailio()
        p.press(.function(2))
        #expect(p.state.saveDialog?.choices.last?.scope == .all)
        p.press(.escape)
        #expect(p.state.saveDialog == nil && p.state.pendingSave == nil)
        #expect(p.state.stack.count == 1)
    }
}

@Suite struct HostileScreenTests {
    static let capture = try! Scenarios.write(HostileCapture.pcap(), name: "hostile-golden.pcap")

    /// The calls and message screens of a packet full of control sequences, as golden files:
    /// every escape shows as text, in both glyph sets.
    @Test(arguments: [false, true]) func hostileMessageGolden(ascii: Bool) {
        let p = Pilot(paths: [Self.capture.path], width: 120, height: 40, ascii: ascii)
        p.press(.enter)
        Snapshot.check(p.screen, named: "hostile-calls-120x40-\(ascii ? "ascii" : "utf8")")
        p.press(.enter, .enter)
        Snapshot.check(p.screen, named: "hostile-message-120x40-\(ascii ? "ascii" : "utf8")")
    }
}
