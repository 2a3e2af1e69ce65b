@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import TraceOutput
@testable import TraceViewer

let bigCaptureTool = Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/tools/gen-big-capture.py")

/// A load test puts tens of thousands of calls in one session: the sessions table shows every
/// count in full, in 80 columns too.
@Suite struct BigSessionTests {
    static func folder() throws -> URL {
        let folder = TestFolder.url.appendingPathComponent("big-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The loader's events for `capture`, taken as they come (it waits while many are
    /// pending), up to and with its `.finished`.
    static func loaderEvents(_ capture: URL) -> [IngestEvent] {
        let queue = IngestQueue()
        let loader = Thread { BackgroundLoader.load(path: capture.path, source: 0, queue: queue) }
        loader.start()
        var events: [IngestEvent] = []
        while true {
            queue.wait(timeoutMilliseconds: 100)
            events += queue.drain()
            if case .finished = events.last { return events }
        }
    }

    /// A load test's capture from ../shared/tools/gen-big-capture.py: every dialog over HEP
    /// with a correlation id, spread over `correlationIDs` sessions.
    static func generated(in folder: URL, dialogs: Int, correlationIDs: Int) throws -> URL {
        let capture = folder.appendingPathComponent("load-\(dialogs)-\(correlationIDs).pcap")
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        generator.arguments = ["python3", bigCaptureTool.path, "--out", capture.path, "--dialogs", "\(dialogs)",
                               "--corr-ids", "\(correlationIDs)", "--hep-fraction", "1", "--no-corr-fraction", "0"]
        generator.standardOutput = FileHandle.nullDevice
        try generator.run()
        generator.waitUntilExit()
        try #require(generator.terminationStatus == 0)
        return capture
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: bigCaptureTool.path), "../shared/tools/gen-big-capture.py is absent"))
    func tenThousandCallsInOneSessionKeepEveryDigit() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = try Self.generated(in: folder, dialogs: 10001, correlationIDs: 1)

        for width in [80, 120] {
            let pilot = Pilot(paths: [capture.path], width: width, height: 24)
            let store = pilot.model.store
            let session = try #require(store.groups.firstIndex { $0.calls.count > 0 })
            let statistics = store.groups[session].statistics
            #expect(store.groups[session].calls.count == 10001)
            #expect(statistics.answered >= 10000, "every generated dialog is answered")
            let row = try #require(pilot.screen.split(separator: "\n").first { $0.contains(pilot.model.groupName(session)) })
            #expect(!row.contains("…"), "\(width) columns: \(row)")
            #expect(row.contains(" 10,001 "), "calls, \(width) columns: \(row)")
            #expect(row.contains(" \(Format.count(statistics.answered)) "), "answered, \(width) columns: \(row)")
            #expect(row.contains(" \(Format.count(store.groups[session].messageCount)) "), "messages, \(width) columns: \(row)")
            // The whole session's ladder is cut at 50,000 messages: its last row says so, and the
            // last message drawn (the cursor's, at the end) is on a row of its own above it.
            pilot.press(.character("v"), .end)
            let lines = pilot.screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let total = Format.count(store.groups[session].messageCount)
            #expect(lines[pilot.grid.height - 3].hasPrefix(" first 50,000 of \(total) messages drawn"), "\(lines[pilot.grid.height - 3])")
            let cursorRow = (0..<pilot.grid.height).first { pilot.grid[1, $0].attributes.contains(.reverse) }
            #expect(cursorRow == pilot.grid.height - 4)
            pilot.press(.escape)
        }
    }

    /// A whole session's ladder of more arrows than a long call list has rows (30,800 messages) is drawn again
    /// at a long list's pace while data comes in, not at every batch (a live load test with
    /// `v` open fell behind the listeners).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bigCaptureTool.path), "../shared/tools/gen-big-capture.py is absent"))
    func aLongSessionLadderIsNotDrawnAgainAtEveryBatch() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = try Self.generated(in: folder, dialogs: 4400, correlationIDs: 1)
        let batches = Self.loaderEvents(capture).filter { if case .batch = $0 { true } else { false } }
        var now = 100.0
        let model = ViewerModel(session: TraceSession())
        model.clock = { now }
        _ = model.addSource(name: capture.lastPathComponent, kind: .file)
        model.ingest(Array(batches.dropLast(2)))
        let g = try #require(model.store.groups.firstIndex { $0.calls.count > 0 })
        let first = model.ladder(.group(g), mergePorts: false, filter: nil)
        #expect(first.rows.count > ViewerModel.largeList)

        model.ingest([batches[batches.count - 2]])
        now += 0.1
        #expect(model.ladder(.group(g), mergePorts: false, filter: nil).rows.count == first.rows.count)
        now += 1
        let later = model.ladder(.group(g), mergePorts: false, filter: nil)
        #expect(later.rows.count > first.rows.count)
        #expect(later.rows.count == Ladder(store: model.store, scope: .group(g), mergePorts: false,
                                           limit: ViewerModel.ladderLimit, filter: nil).rows.count)
    }

    /// A list of more calls than is worked out again at every change (a load test's) is kept
    /// for a moment while data comes in; never across an eviction, which renumbers the calls.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bigCaptureTool.path), "../shared/tools/gen-big-capture.py is absent"),
          arguments: [false, true])
    func aLongCallListIsWorkedOutAgainAfterAnEviction(aside: Bool) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = try Self.generated(in: folder, dialogs: 21000, correlationIDs: 3)

        let events = Self.loaderEvents(capture)
        var probe = TraceSession()
        _ = probe.addSource(name: "probe", kind: .file)
        probe.apply(Array(events.dropLast()))
        // Within two thirds of the budget (where evictions start) while the file loads, just
        // past it at the end: sessions go when the source ends, with the list open.
        let limit = probe.store.memoryInUse * 3 / 2 * 199 / 200
        var session = TraceSession(configuration: .init(memoryLimit: limit, evictionsByOwner: aside))
        let ready = DispatchSemaphore(value: 0)
        session.evictionReady = { ready.signal() }
        let model = ViewerModel(session: session)
        model.clock = { 0 }  // the list is as new as can be when the eviction comes
        _ = model.addSource(name: capture.lastPathComponent, kind: .file)
        model.ingest(Array(events.dropLast()))
        var state = ViewerState(width: 120, height: 40)
        Update.update(&state, .dataChanged, model: model)
        Update.update(&state, .key(.character("a")), model: model)
        #expect(model.callRows(scope: .all, sort: .start, descending: false, filter: nil).count == 21000)
        _ = Renderer.render(state, model: model)

        model.ingest([events.last!])
        if aside {
            #expect(ready.wait(timeout: .now() + 60) == .success)
            while model.hasHeldWork { model.advance() }
        }
        #expect(model.evictions == 1 && model.store.counters.evictedGroups >= 1)
        Update.update(&state, .dataChanged, model: model)
        let store = model.store
        let rows = model.callRows(scope: .all, sort: .start, descending: false, filter: nil)
        #expect(rows.count == store.calls.count && rows.count < 21000)
        #expect(rows.map(\.call) == store.calls.indices.map(Int32.init).sorted {
            (store.calls[Int($0)].firstTime, $0) < (store.calls[Int($1)].firstTime, $1)
        })
        let grid = Renderer.render(state, model: model)
        let screen = (0..<grid.height).map { grid.line($0) }.joined(separator: "\n")
        let firstCallID = store.strings.string(store.calls[Int(rows[0].call)].callID)
        #expect(screen.contains(String(firstCallID.prefix(10))), "\(screen)")
    }
}
