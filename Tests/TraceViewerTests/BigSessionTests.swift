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
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bigCaptureTool.path), "../shared/tools/gen-big-capture.py is absent"))
    func tenThousandCallsInOneSessionKeepEveryDigit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-big-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("session.pcap")
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        generator.arguments = ["python3", bigCaptureTool.path, "--out", capture.path, "--dialogs", "10001",
                               "--corr-ids", "1", "--hep-fraction", "1", "--no-corr-fraction", "0"]
        generator.standardOutput = FileHandle.nullDevice
        try generator.run()
        generator.waitUntilExit()
        try #require(generator.terminationStatus == 0)

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
        }
    }
}
