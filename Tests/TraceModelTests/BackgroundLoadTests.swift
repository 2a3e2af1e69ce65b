import CaptureIngest
import Testing
import TestSupport
import TraceModel

/// Files loaded on another thread reach the model through the ingest queue, and give the same
/// model as a direct load.
@Suite struct BackgroundLoadTests {
    func summary(_ store: TraceStore) -> [String] {
        store.orderedGroups.map { g in
            let group = store.groups[g]
            return "\(store.correlationID(of: group) ?? "-") calls=\(group.calls.count) msgs=\(group.messageCount) "
                + "answered=\(group.statistics.answered) failed=\(group.statistics.failed)"
        }
    }

    @Test func threadedLoadMatchesDirectLoad() async throws {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let queue = IngestQueue()
        var session = TraceSession()
        let source = session.addSource(name: path, kind: .file)
        BackgroundLoader.start(path: path, source: source, queue: queue)
        var rounds = 0
        while !(session.sources[source].finished) && rounds < 500 {
            queue.wait(timeoutMilliseconds: 20)
            session.apply(queue.drain())
            rounds += 1
        }
        #expect(session.sources[source].finished)
        #expect(session.sources[source].failure == nil)
        #expect(session.sources[source].progress == 1.0)
        #expect(session.sources[source].counters.sipMessages == 280)
        var direct = TraceLoad()
        direct.load(path: path)
        #expect(summary(session.store) == summary(direct.store))
        // Payloads point into the mapped file, not into copies.
        #expect(session.store.messages.allSatisfy { $0.payload.source == 1 })
    }

    @Test func failuresArriveAsEvents() {
        let queue = IngestQueue()
        var session = TraceSession()
        let s = session.addSource(name: "/nonexistent.pcap", kind: .file)
        BackgroundLoader.load(path: "/nonexistent.pcap", source: s, queue: queue)
        session.apply(queue.drain())
        #expect(session.sources[s].failure?.contains("No such file") == true)
        #expect(!session.isLoading)
    }
}
