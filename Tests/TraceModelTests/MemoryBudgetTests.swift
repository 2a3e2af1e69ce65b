import CaptureIngest
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// Eviction under a memory budget, and batches handed over between threads.
@Suite struct MemoryBudgetTests {
    func load(_ paths: [String], limit: Int? = nil) -> TraceLoad {
        var load = TraceLoad(configuration: .init(memoryLimit: limit))
        load.load(paths: paths)
        #expect(load.failures.isEmpty)
        return load
    }

    struct CallFacts: Equatable {
        var callID: String, state: CallState, messages: Int, pdd: Int64?, labels: [String]
    }

    func facts(_ store: TraceStore, group: CorrelationGroup) -> [CallFacts] {
        store.orderedCalls(of: group).map { i in
            let c = store.calls[Int(i)]
            return CallFacts(callID: store.strings.string(c.callID), state: c.state, messages: Int(c.messageCount),
                             pdd: c.postDialDelay,
                             labels: store.orderedMessages(of: i).map { store.methodName($0) ?? String(store.messages[Int($0)].status) })
        }
    }

    /// Room made ahead for a big file stays within the budget, and changes nothing in the model.
    @Test func roomMadeAheadStaysWithinTheBudgetAndChangesNothing() {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let plain = load([path]).store
        var roomy = TraceLoad(configuration: .init(memoryLimit: 1 << 20))
        roomy.store.reserveCapacity(forMoreMessages: 50_000_000)
        #expect(roomy.store.messages.capacity >= 5_000 && roomy.store.messages.capacity * 64 <= 2 << 20)
        roomy.load(path: path)
        #expect(roomy.store.messages.count == 280 && roomy.store.calls.count == 40)
        for (a, b) in zip(plain.orderedGroups, roomy.store.orderedGroups) {
            #expect(facts(plain, group: plain.groups[a]) == facts(roomy.store, group: roomy.store.groups[b]))
        }
        var unlimited = TraceStore()
        unlimited.reserveCapacity(forMoreMessages: 100_000)
        #expect(unlimited.messages.capacity >= 100_000 && unlimited.calls.capacity >= 50_000)
    }

    @Test func evictsTheLeastRecentlyActiveSessionWhole() {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let full = load([path]).store
        let budget = full.memoryInUse * 3 / 4
        let limited = load([path], limit: budget).store
        // Session a ends first (01:55:22.07), so it goes; session b stays exactly as it was.
        #expect(limited.orderedGroups.map { limited.correlationID(of: limited.groups[$0]) } == ["tb-20261127T015517Z-udp-b"])
        #expect(limited.counters.evictedGroups == 1 && limited.counters.evictedMessages == 140)
        let b = full.groups.first { full.correlationID(of: $0) == "tb-20261127T015517Z-udp-b" }!
        let kept = limited.groups[limited.orderedGroups[0]]
        #expect(facts(limited, group: kept) == facts(full, group: b))
        #expect(kept.statistics.answered == 10 && kept.statistics.failuresByStatus == [486: 10])
        #expect(limited.memoryInUse <= budget)
        // Payloads of what is kept are still readable from the file.
        let first = limited.messages[Int(limited.calls[Int(kept.calls[0])].firstMessage)]
        #expect(limited.withPayload(of: first) { $0.count } == Int(first.payload.length))
    }

    /// Room is made from two thirds of the budget on, down to a third, so that the model
    /// rebuilt beside the old one keeps the two within the budget.
    @Test func roomIsMadePastTwoThirdsOfTheBudget() {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let full = load([path]).store
        let budget = full.memoryInUse * 6 / 5
        let limited = load([path], limit: budget).store
        #expect(limited.counters.evictedGroups == 1 && limited.counters.evictions == 1)
        #expect(limited.orderedGroups.map { limited.correlationID(of: limited.groups[$0]) } == ["tb-20261127T015517Z-udp-b"])
        #expect(limited.memoryInUse <= budget / 3 * 2)
        // Below two thirds nothing goes.
        let roomy = load([path], limit: full.memoryInUse * 3 / 2 + 3).store
        #expect(roomy.counters.evictions == 0 && roomy.orderedGroups.count == 2)
    }

    @Test func theNewestSessionIsNeverEvicted() {
        let store = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path], limit: 1).store
        #expect(store.orderedGroups.count == 1)
        #expect(store.groups[store.orderedGroups[0]].calls.count == 20)
    }

    @Test func sightingsAndDuplicatesSurviveARebuild() throws {
        let dup = try Scenarios.write(Scenarios.duplicateSightings())
        let reused = try Scenarios.write(Scenarios.reusedCallIDAcrossSessions())
        var load = load([dup.path, reused.path])
        let before = load.store
        // Drop both reused-Call-ID sessions; "dup-run" must come through untouched.
        let doomed = Set(load.store.orderedGroups.filter { load.store.correlationID(of: load.store.groups[$0])?.hasPrefix("run-") == true })
        #expect(doomed.count == 2)
        load.store.evictGroups(doomed)
        let after = load.store
        #expect(after.orderedGroups.count == 1)
        let g = after.groups[after.orderedGroups[0]]
        let old = before.groups.first { before.correlationID(of: $0) == "dup-run" }!
        #expect(facts(after, group: g) == facts(before, group: old))
        #expect(after.messages(of: g.calls[0]).allSatisfy { after.sightings(of: $0).count == 1 })
        #expect(after.counters.exactDuplicates == before.counters.exactDuplicates)
        #expect(after.counters.evictedMessages == 14)
    }

    @Test func aBatchFromAnotherThreadGivesTheSameModel() async throws {
        let bytes = try Fixtures.bytes(Fixtures.kamailio("hep-kamailio-udp.pcap"))
        // Decode on another task into owned batches, then add them here.
        let batches = await Task.detached { () -> [MessageBatch] in
            let decoder = TraceDecoder()
            var batches: [MessageBatch] = [MessageBatch()]
            bytes.withUnsafeBytes { b in
                var reader = try! CaptureFileReader(b)
                while let f = reader.next() {
                    decoder.decode(frame: f) { m in
                        if batches[batches.count - 1].count == 64 { batches.append(MessageBatch()) }
                        batches[batches.count - 1].append(m)
                    }
                }
            }
            return batches
        }.value
        var store = TraceStore()
        for b in batches { store.add(b) }
        let direct = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path]).store
        #expect(store.orderedGroups.count == 2)
        for (g1, g2) in zip(store.orderedGroups, direct.orderedGroups) {
            #expect(facts(store, group: store.groups[g1]) == facts(direct, group: direct.groups[g2]))
        }
    }

    @Test func memorySizesParse() {
        #expect(MemorySize.parse("512M") == 512 << 20)
        #expect(MemorySize.parse("2g") == 2 << 30)
        #expect(MemorySize.parse("1500") == 1500)
        #expect(MemorySize.parse("lots") == nil)
        #expect(MemorySize.parse("-5M") == nil)
        #expect(MemorySize.defaultLimit > 0)
    }
}
