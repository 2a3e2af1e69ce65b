@testable import CaptureIngest
import Testing
import TestSupport
import TraceModel
@testable import TraceViewer

/// A live session's Rate column: messages a second arriving now, bursts included.
@Suite struct LiveRateTests {
    @Test func aBurstCountsFromItsFirstMessagesAndFadesWhenItStops() throws {
        var now = 50.0
        let model = ViewerModel(session: TraceSession())
        model.clock = { now }
        let source = model.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        // 590 messages of one session arriving within a tenth of a second, in three batches.
        let batches = try Fixtures.messageBatches("sip-plain-udp.pcap", size: 200)
        for batch in batches {
            model.ingest([.batch(source: source, batch)])
            now += 0.03
        }
        let g = try #require(model.store.groups.firstIndex { $0.calls.count > 0 })
        // Over at least a second: the 590 that came, not 0 (first sample overwritten) nor
        // what came after the first batch.
        #expect(model.liveRate(group: g).map { Int($0.rounded()) } == 590)
        // Nothing more for longer than the window: the rate falls to nothing.
        for _ in 0..<30 {
            now += 0.25
            model.sampleRates()
        }
        #expect(model.liveRate(group: g) == 0)
    }

    /// An eviction renumbers the groups: a session kept goes on from its own samples instead
    /// of seeming to have received all its messages at once.
    @Test func aSessionKeptByAnEvictionKeepsItsRate() throws {
        let batches = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 20)
        var probe = TraceSession()
        let probeSource = probe.addSource(name: "probe", kind: .listener)
        probe.apply(batches.dropLast().map { .batch(source: probeSource, $0) })
        // Past two thirds of the budget (where evictions start) with the last batch only.
        let limit = probe.store.memoryInUse * 3 / 2 + 64
        var now = 50.0
        let model = ViewerModel(session: TraceSession(configuration: .init(memoryLimit: limit)))
        model.clock = { now }
        let source = model.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        model.ingest(batches.dropLast().map { .batch(source: source, $0) })
        #expect(model.evictions == 0)
        now = 100
        model.sampleRates()
        now = 100.3
        model.sampleRates()
        now = 100.5
        // The budget is looked at every few thousand messages, and when a source ends.
        let ended = model.addSource(name: "ended.pcap", kind: .file)
        model.ingest([.batch(source: source, batches.last!), .finished(source: ended, LoadReport(source: "ended.pcap", format: "pcap"))])
        #expect(model.evictions == 1)
        let kept = model.store.groups.indices.filter { !model.store.groups[$0].retired && model.store.groups[$0].calls.count > 0 }
        #expect(!kept.isEmpty)
        // Twenty messages at most came in the last moment, after fifty quiet seconds.
        for g in kept { #expect((model.liveRate(group: g) ?? 0) < 20, "\(model.groupName(g)): \(String(describing: model.liveRate(group: g)))") }
    }

    /// A capture file read while a listener runs: its sessions keep their average rate, as
    /// with the file alone, and the sessions the listener feeds show what arrives now.
    @Test func aFilesSessionsKeepTheirAverageBesideAListener() throws {
        let model = ViewerModel(session: TraceSession())
        var now = 10.0
        model.clock = { now }
        let queue = IngestQueue()
        let listener = model.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        let file = model.addSource(name: "sip-plain-udp.pcap", kind: .file)
        BackgroundLoader.load(path: Fixtures.kamailio("sip-plain-udp.pcap").path, source: file, queue: queue)
        model.ingest(queue.drain())
        model.ingest(try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 20).map { .batch(source: listener, $0) })
        now = 11
        model.sampleRates()
        #expect(model.isLive)
        let groups = model.store.orderedGroups.filter { !model.store.groups[$0].isEmpty }
        let fromFile = groups.filter { model.store.groups[$0].source == .none }
        let live = groups.filter { model.store.groups[$0].source == .hep }
        #expect(fromFile.count == 1 && live.count == 2)
        for g in fromFile { #expect(model.liveRate(group: g) == nil) }
        for g in live { #expect((model.liveRate(group: g) ?? 0) > 0) }
    }

}
