import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import TraceViewer

/// A viewer without a terminal: a model loaded through the same queue the UI uses, a state,
/// keys in, grids out.
final class Pilot {
    let model: ViewerModel
    var state: ViewerState

    init(paths: [String], width: Int = 80, height: Int = 24, ascii: Bool = false) {
        let model = ViewerModel(session: TraceSession())
        model.clock = { 0 }
        let queue = IngestQueue()
        for path in paths {
            let source = model.addSource(name: path, kind: .file)
            BackgroundLoader.load(path: path, source: source, queue: queue)
            model.ingest(queue.drain())
        }
        self.model = model
        state = ViewerState(width: width, height: height, options: ViewerOptions(ascii: ascii))
        Update.update(&state, .dataChanged, model: model)
    }

    static func kamailio(width: Int = 80, height: Int = 24, ascii: Bool = false) -> Pilot {
        Pilot(paths: [Fixtures.kamailio("hep-kamailio-udp.pcap").path], width: width, height: height, ascii: ascii)
    }

    func press(_ keys: Key...) {
        for k in keys { Update.update(&state, .key(k), model: model) }
    }

    func type(_ text: String) {
        for c in text { Update.update(&state, .key(.character(c)), model: model) }
    }

    var grid: CellGrid { Renderer.render(state, model: model) }
    var screen: String { grid.text }
}

/// Golden files: the rendered grid as text in Snapshots/<name>.txt. A missing file is
/// recorded; HEPSCOPE_RECORD_SNAPSHOTS=1 records them all again when a change is intended.
enum Snapshot {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func check(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = folder.appendingPathComponent(name + ".txt")
        let record = ProcessInfo.processInfo.environment["HEPSCOPE_RECORD_SNAPSHOTS"] == "1"
        guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try? text.write(to: url, atomically: false, encoding: .utf8)
            if !record { Issue.record("recorded new snapshot \(name); check it and run again", sourceLocation: sourceLocation) }
            return
        }
        guard expected != text else { return }
        Issue.record("snapshot \(name) differs (HEPSCOPE_RECORD_SNAPSHOTS=1 records it again):\n\(diff(expected, text))",
                     sourceLocation: sourceLocation)
    }

    /// Line by line: "-" expected, "+" rendered.
    static func diff(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? String(x[i]) : nil, r = i < y.count ? String(y[i]) : nil
            if l != r {
                if let l { out.append("-\(i + 1): \(l)") }
                if let r { out.append("+\(i + 1): \(r)") }
            }
        }
        return out.joined(separator: "\n")
    }
}
