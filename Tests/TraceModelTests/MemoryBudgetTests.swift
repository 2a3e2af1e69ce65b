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
        // Session a ends first (01:55:22.07), so it goes whole; b stays, with its figures.
        #expect(limited.orderedGroups.map { limited.correlationID(of: limited.groups[$0]) } == ["tb-20261127T015517Z-udp-b"])
        #expect(limited.counters.evictedGroups == 1)
        let b = full.groups.first { full.correlationID(of: $0) == "tb-20261127T015517Z-udp-b" }!
        let kept = limited.groups[limited.orderedGroups[0]]
        // Half the model is still over a third of the budget: b's oldest calls went too, the
        // calls that stay are exactly as they were, and b's figures still count them all.
        let keptFacts = facts(limited, group: kept), allFacts = facts(full, group: b)
        #expect(kept.calls.count + kept.droppedCalls == 20 && kept.droppedCalls > 0)
        #expect(keptFacts.allSatisfy { allFacts.contains($0) })
        #expect(kept.statistics.calls == 20 && kept.statistics.answered == 10 && kept.statistics.failuresByStatus == [486: 10])
        #expect(kept.statistics.postDialDelay.count == b.statistics.postDialDelay.count)
        #expect(kept.statistics.postDialDelay.percentile(0.95) == b.statistics.postDialDelay.percentile(0.95))
        #expect(kept.firstTime == b.firstTime && kept.lastTime == b.lastTime)
        #expect(kept.droppedMessages == b.messageCount - kept.messageCount)
        #expect(limited.counters.evictedMessages == 140 + kept.droppedMessages)
        #expect(limited.counters.evictedCalls == kept.droppedCalls)
        #expect(limited.memoryInUse <= budget)
        // Payloads of what is kept are still readable from the file.
        let first = limited.messages[Int(limited.calls[Int(kept.calls[0])].firstMessage)]
        #expect(limited.withPayload(of: first) { $0.count } == Int(first.payload.length))
    }

    /// One session alone over the budget (a test of hours under one correlation id, a capture
    /// with none): it stays, its calls that ended least recently go, its figures stay whole.
    @Test func aSessionAloneOverTheBudgetLosesItsOldestEndedCalls() throws {
        let path = Fixtures.kamailio("sip-plain-udp.pcap").path
        let full = load([path]).store
        #expect(full.orderedGroups.count == 1)
        let all = full.groups[full.orderedGroups[0]]
        let limited = load([path], limit: full.memoryInUse).store
        let kept = limited.groups[limited.orderedGroups[0]]
        #expect(limited.counters.evictedGroups == 0 && limited.counters.evictedCalls > 0)
        #expect(kept.droppedCalls == limited.counters.evictedCalls && kept.calls.count + kept.droppedCalls == all.calls.count)
        // Below where evictions start (tables sized for all of it stay: a third is not reached
        // in a model this small).
        #expect(limited.memoryInUse < full.memoryInUse * 2 / 3)
        // The calls that stay are the most recently active ones, as they were.
        let byActivity = all.calls.sorted { full.calls[Int($0)].lastMessage < full.calls[Int($1)].lastMessage }
        let keptIDs = Set(kept.calls.map { limited.strings.string(limited.calls[Int($0)].callID) })
        let newest = byActivity.suffix(kept.calls.count).map { full.strings.string(full.calls[Int($0)].callID) }
        #expect(keptIDs == Set(newest))
        let allFacts = facts(full, group: all)
        #expect(facts(limited, group: kept).allSatisfy { allFacts.contains($0) })
        // Figures of the session as a whole.
        for state in CallState.allCases { #expect(kept.statistics.count(state) == all.statistics.count(state)) }
        #expect(kept.statistics.calls == all.statistics.calls && kept.statistics.answered == all.statistics.answered)
        #expect(kept.statistics.failuresByStatus == all.statistics.failuresByStatus)
        #expect(kept.statistics.setupTime.count == all.statistics.setupTime.count)
        #expect(kept.statistics.setupTime.percentile(0.5) == all.statistics.setupTime.percentile(0.5))
        #expect(kept.statistics.duration.maximum == all.statistics.duration.maximum)
        #expect(kept.firstTime == all.firstTime)
        #expect(kept.sessionMessageCount == all.messageCount && limited.rate(of: kept) == full.rate(of: all))
        // A second round carries what the first dropped.
        var again = limited
        again.evict(groups: [], calls: [kept.calls[0]])
        let twice = again.groups[again.orderedGroups[0]]
        #expect(twice.droppedCalls == kept.droppedCalls + 1 && twice.statistics.calls == all.statistics.calls)
        #expect(twice.statistics.answered == all.statistics.answered)
    }

    /// Events that joined a call (correlated by its Call-ID) go with it, rather than turning up
    /// as a session named after the Call-ID.
    @Test func eventsOfADroppedCallGoWithIt() throws {
        let url = try Scenarios.write(Scenarios.hlogEvents())
        var load = load([url.path])
        let full = load.store
        let call = try #require(full.calls.indices.first { full.strings.string(full.calls[$0].callID) == Scenarios.hlogCallID })
        #expect(full.events(of: Int32(call)).count == 2)
        load.store.evict(groups: [], calls: [Int32(call)])
        let after = load.store
        #expect(after.orderedGroups.map { after.correlationID(of: after.groups[$0]) } == ["log-run"])
        let g = after.groups[after.orderedGroups[0]]
        #expect(g.calls.isEmpty && g.events.count == 3)
        #expect(g.droppedCalls == 1 && g.droppedMessages == 7 + 2 && g.statistics.calls == 1)
        #expect(after.counters.evictedMessages == 9 && after.counters.evictedCalls == 1)
    }

    /// A leg without a correlation id that was linked into a session goes back to the bucket
    /// when the call it was linked through is dropped: the session's carried figures stay with
    /// the session (found by its correlation id), and its newest own call is what stays.
    @Test func aLinkedLegDoesNotCarryTheSessionsFiguresAway() throws {
        let url = try Scenarios.write(Scenarios.legLinkedIntoSession(), name: "leg-linked-into-session.pcap")
        var load = load([url.path])
        let full = load.store
        func callIndex(_ s: TraceStore, _ id: String) -> Int32? {
            s.calls.indices.first { s.strings.string(s.calls[$0].callID) == id }.map { Int32($0) }
        }
        let ids = Scenarios.linkedIntoSessionCallIDs
        let session = try #require(full.groups.indices.first { full.correlationID(of: full.groups[$0]) == "link-run" })
        #expect(full.groups[session].calls.count == 4 && full.groups[session].calls.last == callIndex(full, ids[3]))
        #expect(full.newestOwnCall(of: session) == callIndex(full, ids[2]))
        load.store.evict(groups: [], calls: [try #require(callIndex(full, ids[0]))])
        let after = load.store
        let run = try #require(after.groups.first { after.correlationID(of: $0) == "link-run" })
        #expect(run.droppedCalls == 1 && run.calls.count == 2 && run.statistics.calls == 3)
        let bucket = try #require(after.groups.first { $0.source == .none })
        #expect(bucket.droppedCalls == 0 && bucket.calls.count == 1 && bucket.statistics.calls == 1)
        #expect(after.strings.string(after.calls[Int(bucket.calls[0])].callID) == ids[3])
    }

    /// Calls still going are never dropped: a message of theirs arriving later would start
    /// them again as new calls, counted twice.
    @Test func callsStillGoingAreNotDropped() throws {
        let url = try Scenarios.write(Scenarios.callStates())
        let full = load([url.path]).store
        let limited = load([url.path], limit: 1).store
        let all = full.groups[full.orderedGroups[0]], kept = limited.groups[limited.orderedGroups[0]]
        let active = all.calls.filter { full.calls[Int($0)].state.isActive }.map { full.strings.string(full.calls[Int($0)].callID) }
        #expect(active.count == 3)
        let keptIDs = kept.calls.map { limited.strings.string(limited.calls[Int($0)].callID) }
        #expect(Set(active).isSubset(of: Set(keptIDs)))
        // The four that ended went (the newest, "calling", is one of those going).
        #expect(kept.droppedCalls == 4 && keptIDs.count == 3)
        #expect(kept.statistics.calls == 7 && kept.statistics.active == 3)
    }

    /// Room is made from two thirds of the budget on, so that the model rebuilt beside the old
    /// one keeps the two within the budget.
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
        // Down to its newest call, with the figures of all twenty.
        let g = store.groups[store.orderedGroups[0]]
        #expect(g.calls.count == 1 && g.droppedCalls == 19 && g.statistics.calls == 20)
        // Its first and last seen (and so its rate) are still those of all twenty: a dropped
        // call held its last message.
        let full = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path]).store
        let whole = try! #require(full.orderedGroups.map { full.groups[$0] }.first { full.correlationID(of: $0) == store.correlationID(of: g) })
        #expect(store.span(of: g) == full.span(of: whole))
        #expect(store.calls[Int(g.calls[0])].lastTime < full.span(of: whole).last)
        // A filter's model still says what the budget dropped.
        let shown = store.shown { _ in true }
        #expect(shown.counters.evictedCalls == 19 && shown.counters.evictedGroups == 1)
        #expect(shown.counters.evictedMessages == store.counters.evictedMessages)
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
