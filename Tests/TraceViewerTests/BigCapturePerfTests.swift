import CaptureIngest
import Foundation
import Testing
import TraceModel
import TraceViewer

/// How long a key takes on a big capture (HEPSCOPE_BIG_CAPTURE=path, e.g. written by
/// ../shared/tools/gen-big-capture.py: a million messages). Skipped without it.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["HEPSCOPE_BIG_CAPTURE"] != nil))
struct BigCapturePerfTests {
    @Test func keysOnAMillionMessages() throws {
        let path = ProcessInfo.processInfo.environment["HEPSCOPE_BIG_CAPTURE"]!
        let queue = IngestQueue()
        let model = ViewerModel(session: TraceSession())
        let source = model.addSource(name: path, kind: .file)
        let started = Date()
        let loader = Thread { BackgroundLoader.load(path: path, source: source, queue: queue) }
        loader.start()
        while !(model.session.sources[source].finished) {
            queue.wait(timeoutMilliseconds: 100)
            model.ingest(queue.drain())
        }
        print("loaded \(model.store.messages.count) messages, \(model.store.calls.count) calls in \(Date().timeIntervalSince(started)) s")
        var state = ViewerState(width: 120, height: 40)
        func timed(_ what: String, _ keys: [Key]) -> Double {
            let t = Date()
            for k in keys {
                Update.update(&state, .key(k), model: model)
                _ = Renderer.render(state, model: model)
            }
            let ms = Date().timeIntervalSince(t) * 1000 / Double(keys.count)
            print("\(what): \(String(format: "%.1f", ms)) ms per key")
            return ms
        }
        Update.update(&state, .dataChanged, model: model)
        _ = timed("groups, first frame", [.down])
        _ = timed("all calls, first frame (sort 142k)", [.character("a")])
        let move = timed("all calls, move", Array(repeating: Key.down, count: 50) + [.pageDown, .pageDown, .end, .home])
        for sort in CallSort.allCases.dropFirst() { _ = timed("all calls, sort by \(sort.name)", [.character("s")]) }
        _ = timed("all calls, reverse", [.character("S")])
        _ = timed("all calls, search", [.character("/"), .character("x"), .character("y"), .character("z"), .enter])
        _ = timed("all calls, filter to:1", [.character("f"), .character("t"), .character("o"), .character(":"), .character("1"), .enter])
        _ = timed("filtered, move", [.down, .down, .up])
        _ = timed("ladder of a call", [.enter])
        _ = timed("ladder, move", [.down, .down, .up])
        _ = timed("message", [.enter])
        #expect(move < 50)
    }
}
