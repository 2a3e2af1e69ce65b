import CaptureIngest
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
}
