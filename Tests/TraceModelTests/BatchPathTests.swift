import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// A file load hands the model batches, which it takes in two passes (Call-IDs and endpoints of
/// the whole batch first, then the messages); live ingest and rebuilds add one message at a
/// time. Both must build the same model: the same calls, states, messages in each call with
/// their flags and transactions, sightings, links and counters.
@Suite struct BatchPathTests {
    /// Everything observable about a model, by name rather than by id (ids may be handed out in
    /// another order).
    static func facts(_ s: TraceStore) -> [String] {
        var out: [String] = []
        for g in s.orderedGroups {
            let group = s.groups[g]
            out.append("group \(s.correlationID(of: group) ?? "-") \(s.sourceName(of: group)) \(group.calls.count) calls \(group.messageCount) messages \(group.events.count) events")
            for c in s.orderedCalls(of: group) {
                let call = s.calls[Int(c)]
                out.append("  call \(s.strings.string(call.callID)) \(call.state.name) \(call.finalStatus) \(call.messageCount) retransmissions \(call.retransmissions) reinvites \(call.reinvites) pdd \(call.postDialDelay ?? -1) from \(s.strings.string(call.fromUser)) to \(s.strings.string(call.toUser)) transactions \(s.transactions(of: c).count) dialogs \(s.dialogs(of: c).count)")
                out += s.links(of: c).map { "    link \(s.strings.string(s.calls[Int($0.other)].callID)) \($0.reason.name(s.strings))" }
                for m in s.orderedMessages(of: c) {
                    let r = s.messages[Int(m)]
                    out.append("    \(r.time.nanoseconds) \(s.endpoints[r.source]) \(s.endpoints[r.destination]) \(s.methodName(m) ?? String(r.status)) \(s.cseqText(m) ?? "") t\(r.transaction) flags \(r.flags.rawValue) frame \(r.frame) sightings \(s.sightings(of: m).map { "\($0.frame)/\($0.delay)" })")
                }
            }
            out += group.events.map { "  event \(s.messages[Int($0)].frame)" }
        }
        let k = s.counters
        out.append("counters \(k.exactDuplicates) \(k.sightings) \(k.retransmissions) \(s.messages.count) messages \(s.calls.count) calls")
        return out
    }

    /// The capture decoded and added one message at a time, as a live listener does.
    static func oneByOne(_ url: URL) throws -> TraceStore {
        let bytes = try Data(contentsOf: url)
        var store = TraceStore()
        let decoder = TraceDecoder()
        try bytes.withUnsafeBytes { b in
            var reader = try CaptureFileReader(b)
            while let frame = reader.next() {
                let interface = frame.interfaceID
                decoder.decode(frame: frame) { store.add($0, interface: interface) }
            }
            decoder.finish { store.add($0) }
        }
        return store
    }

    static func batched(_ url: URL) -> TraceStore {
        var load = TraceLoad()
        load.load(path: url.path)
        return load.store
    }

    @Test(arguments: Scenarios.all())
    func scenariosComeOutTheSameEitherWay(_ scenario: ScenarioCapture) throws {
        let url = try Scenarios.write(scenario)
        let single = Self.facts(try Self.oneByOne(url)), batched = Self.facts(Self.batched(url))
        #expect(single.count > 2)
        #expect(Self.firstDifference(single, batched) == nil, "\(scenario.name)")
    }

    /// The first line where two fact lists differ, both sides (nil: none): a short failure.
    static func firstDifference(_ a: [String], _ b: [String]) -> String? {
        if let (x, y) = zip(a, b).first(where: { $0 != $1 }) { return "\(x)\n  vs \(y)" }
        return a.count == b.count ? nil : "\(a.count) lines vs \(b.count)"
    }

    @Test(arguments: ["hep-kamailio-udp.pcap", "sip-plain-udp.pcap", "sip-plain-tcp.pcap"])
    func recordedCapturesComeOutTheSameEitherWay(_ name: String) throws {
        let url = Fixtures.kamailio(name)
        let single = Self.facts(try Self.oneByOne(url)), batched = Self.facts(Self.batched(url))
        #expect(single.count > 40)
        #expect(Self.firstDifference(single, batched) == nil, "\(name)")
    }

    /// `bench --stages` loads on one thread, each batch decoded and then added, its two stages
    /// timed: the model it builds is the one the two-thread load builds, and both stages count.
    @Test(arguments: ["hep-kamailio-udp.pcap", "sip-plain-tcp.pcap"])
    func aLoadTimedStageByStageBuildsTheSameModel(_ name: String) throws {
        let url = Fixtures.kamailio(name)
        var timed = TraceLoad()
        let stages = StageTimes()
        timed.stages = stages
        timed.load(path: url.path)
        #expect(timed.failures.isEmpty && timed.reports.first?.frames ?? 0 > 40)
        let reference = Self.facts(Self.batched(url))
        #expect(reference.count > 40)
        #expect(Self.firstDifference(reference, Self.facts(timed.store)) == nil, "\(name)")
        #expect(stages.decodeSeconds > 0 && stages.modelSeconds > 0)
    }
}
