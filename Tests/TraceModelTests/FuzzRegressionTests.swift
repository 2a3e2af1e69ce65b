import Testing
import TestSupport
import TraceModel
import WireDecoding

/// Inputs that once crashed the model, replayed through the decoders into it.
@Suite struct FuzzRegressionTests {
    static func load(_ bytes: [UInt8]) throws -> TraceStore {
        var store = TraceStore()
        let decoder = TraceDecoder()
        try bytes.withUnsafeBytes { raw in
            var reader = try CaptureFileReader(raw)
            while let frame = reader.next() {
                decoder.decode(frame: frame) { store.add($0) }
            }
            decoder.finish { store.add($0) }
        }
        return store
    }

    @Test func timesAtBothEndsOfTheRangeDoNotOverflow() throws {
        let store = try Self.load(FuzzRegressionInputs.extremeTimesPcapng)
        #expect(store.calls.count == 1)
        #expect(store.messages.count == 3)
        #expect(store.counters.retransmissions == 1)
        let group = store.groups[store.orderedGroups[0]]
        let span = store.span(of: group)
        #expect(span.first.nanoseconds < -9_223_372_036_000_000_000)
        #expect(span.last.nanoseconds > 9_223_372_036_000_000_000)
        // The span is held at the largest difference rather than wrapping around.
        #expect(store.rate(of: group).map { $0 > 0 } == true)
        let call = store.calls[0]
        for delay in [call.postDialDelay, call.setupTime, call.duration] {
            #expect(delay.map { abs($0) <= Int64.max } ?? true)
        }
        for m in store.messages { #expect(!m.time.decimalSeconds.isEmpty) }
    }

    /// A HEP time and a capture time at opposite ends of the range (found by CaptureFileFuzz):
    /// their difference does not fit, so no capture time is kept, and nothing traps.
    @Test func hepTimeFarFromCaptureTime() throws {
        let bytes = try Fixtures.bytes(Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz/capture-time-far-from-hep-time.bin"))
        let store = try Self.load(bytes)
        for m in store.messages.indices {
            let r = store.messages[m]
            if let t = store.captureTime(of: Int32(m)) {
                #expect(abs(r.time.nanoseconds.subtractingReportingOverflow(t.nanoseconds).partialValue) < 3_000_000_000_000)
            }
        }
        #expect(store.messages.contains { $0.captureOffset == Int32.min })
    }
}
