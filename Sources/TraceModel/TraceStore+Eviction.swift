import WireDecoding

/// Staying within a memory budget: whole correlation groups go, least recently active first, so
/// a session on screen is never shown half-evicted. The most recently active group is kept;
/// when dropping all the others does not make room enough (a load test of hours under one
/// correlation id, a capture with none), its calls that ended go too, least recently active
/// first, and its figures still count them.
extension TraceStore {
    /// What one record costs with its share of the tables, for room reserved ahead of a load.
    static let bytesPerRecord = MemoryLayout<MessageRecord>.stride + 12

    /// Past two thirds of the limit, evicts groups until the estimate is under one third, then
    /// rebuilds the model from what is kept. The rebuilt model is made beside the old one, so
    /// the two together, at the peak, stay within the limit; and the next eviction is as far
    /// off as the last one made room for.
    public mutating func enforceMemoryLimit() {
        guard let plan = budgetEvictionPlan() else { return }
        evict(groups: plan.groups, calls: plan.calls)
    }

    /// Past two thirds of the budget: when the owner evicts (`Configuration.evictionsByOwner`).
    public var isOverBudget: Bool {
        guard let limit = configuration.memoryLimit else { return false }
        return memoryInUse > limit / 3 * 2
    }

    /// `enforceMemoryLimit` made aside: the rebuilt model (nil when within the budget), for
    /// `adopt`. Reads this model only, so another thread may make it from a copy (see
    /// `readableAside`) while the owner's screens go on reading the original.
    public func evictedForBudget() -> EvictionOutcome? {
        guard let plan = budgetEvictionPlan() else { return nil }
        return evicted(groups: plan.groups, calls: plan.calls)
    }

    /// What goes to bring the estimate under a third of the budget, once past two thirds.
    private func budgetEvictionPlan() -> (groups: Set<Int>, calls: Set<Int32>)? {
        guard let limit = configuration.memoryLimit else { return nil }
        let used = memoryInUse
        guard used > limit / 3 * 2 else { return nil }
        let live = orderedGroups.sorted { (groups[$0].lastArrival, $0) < (groups[$1].lastArrival, $1) }
        guard let newest = live.last else { return nil }
        // A group's share of it all: its messages' part.
        let perMessage = used / max(1, messages.count)
        var doomed = Set<Int>()
        var remaining = used
        for g in live.dropLast() where remaining > limit / 3 {
            doomed.insert(g)
            remaining -= groups[g].messageCount * perMessage
        }
        var dropCalls = Set<Int32>()
        if remaining > limit / 3 {
            // Only calls that ended: a message for a call still going would start it again as a
            // new call. Least recently active first; the session's newest call stays, and so
            // does the session.
            let keep = newestOwnCall(of: newest)
            let candidates = groups[newest].calls.filter { $0 != keep && !calls[Int($0)].state.isActive }
                .sorted { calls[Int($0)].lastMessage < calls[Int($1)].lastMessage }
            for c in candidates where remaining > limit / 3 {
                dropCalls.insert(c)
                remaining -= (Int(calls[Int(c)].messageCount) + events(of: c).count) * perMessage
            }
        }
        guard !doomed.isEmpty || !dropCalls.isEmpty else { return nil }
        return (doomed, dropCalls)
    }

    /// The call of group `g` that started last among those that carry its correlation (not a
    /// leg linked in from elsewhere, which goes back where it came from if its link goes).
    public func newestOwnCall(of g: Int) -> Int32? {
        let group = groups[g]
        let own = group.calls.filter { group.source != .hep || calls[Int($0)].hepCorrelation == group.correlationID }
        return (own.isEmpty ? group.calls : own).max { calls[Int($0)].firstMessage < calls[Int($1)].firstMessage }
    }

    /// Removes the given groups and everything in them, keeping the rest exactly as it was: the
    /// kept messages are added again, in their original order, to a fresh model.
    public mutating func evictGroups(_ doomed: Set<Int>) {
        evict(groups: doomed, calls: [])
    }

    /// Removes the given groups, and the given calls (with the events that joined them) from
    /// groups that stay, whose figures, worked out from all their calls, are carried over; then
    /// rebuilds from what is kept. Followed messages and groups are renumbered.
    public mutating func evict(groups doomed: Set<Int>, calls droppedCalls: Set<Int32>) {
        guard let outcome = evicted(groups: doomed, calls: droppedCalls) else { return }
        adopt(outcome)
    }

    /// `evict` without the change: the rebuilt model and where old numbers went in it.
    public func evicted(groups doomed: Set<Int>, calls droppedCalls: Set<Int32>) -> EvictionOutcome? {
        guard !doomed.isEmpty || !droppedCalls.isEmpty else { return nil }
        var isDroppedCall = [Bool](repeating: false, count: droppedCalls.isEmpty ? 0 : calls.count)
        for c in droppedCalls { isDroppedCall[Int(c)] = true }
        func dropped(_ call: Int32) -> Bool { call >= 0 && !isDroppedCall.isEmpty && isDroppedCall[Int(call)] }
        let droppedEvents = Set(droppedCalls.flatMap { events(of: $0) })
        var droppedByGroup: [Int: (calls: Int, messages: Int)] = [:]
        for c in droppedCalls {
            let g = Int(calls[Int(c)].group)
            droppedByGroup[g, default: (0, 0)].calls += 1
            droppedByGroup[g, default: (0, 0)].messages += Int(calls[Int(c)].messageCount) + events(of: c).count
        }
        // Each kept group is found again in the rebuilt model by its correlation id (or as the
        // uncorrelated bucket); a group formed by header links, by a message of a call it
        // keeps. What kept groups carry over: the figures of calls dropped now or before, all
        // of the group's figures less those of the calls that stay.
        var representative = [Int32](repeating: -1, count: groups.count)
        var carried: [Int: (statistics: GroupStatistics, calls: Int, messages: Int, span: (first: Timestamp, last: Timestamp))] = [:]
        for g in orderedGroups where !doomed.contains(g) {
            if let c = groups[g].calls.last(where: { !dropped($0) }) {
                representative[g] = calls[Int(c)].firstMessage
            } else if let e = groups[g].events.first(where: { !droppedEvents.contains($0) }) {
                representative[g] = e
            }
            guard groups[g].droppedCalls > 0 || droppedByGroup[g] != nil else { continue }
            var figures = groups[g].statistics
            for c in groups[g].calls where !dropped(c) { figures.apply(GroupStatistics.Contribution(calls[Int(c)]), sign: -1) }
            let now = droppedByGroup[g] ?? (0, 0)
            carried[g] = (figures, groups[g].droppedCalls + now.calls, groups[g].droppedMessages + now.messages, span(of: groups[g]))
        }
        var evictedMessages = 0
        // Room for what stays, made at once: the rebuilt model's lists doubling as they fill
        // would add their copies to the old model's memory, which is still held meanwhile. And
        // as much again for what comes next (the next eviction is about as far off; room not
        // filled stays virtual): doubled on the next message, the lists of a big model were
        // copied whole, on the owner's thread, a fifth of a second for 4 million messages.
        let keptMessages = max(0, messages.count - doomed.reduce(0) { $0 + groups[$1].messageCount }
            - droppedByGroup.values.reduce(0) { $0 + $1.messages })
        let keptCalls = max(0, calls.count - doomed.reduce(0) { $0 + groups[$1].calls.count } - droppedCalls.count)
        let records = (configuration.memoryLimit ?? .max) / TraceStore.bytesPerRecord
        let room = (messages: max(keptMessages, min(2 * keptMessages, records)),
                    calls: max(keptCalls, min(2 * keptCalls, records / 2)))
        // Kept messages keep their order, so a message's new number is how many were kept
        // before it: one bit a message says which, and any old number (followed by a screen
        // now, or when the outcome is adopted) is found again from it.
        var kept = KeptMessages(capacity: messages.count)
        var fresh = rebuilt(expecting: room) { index in
            let keep = !doomed.contains(groupIndex(ofMessage: index)) && !dropped(messages[Int(index)].call)
                && (droppedEvents.isEmpty || !droppedEvents.contains(index))
            kept.append(keep)
            if !keep { evictedMessages += 1 + sightings(of: index).count }
            return keep
        }
        var groupMap = [Int](repeating: -1, count: groups.count)
        for g in groups.indices where !doomed.contains(g) {
            groupMap[g] = fresh.sameGroup(as: groups[g], in: self, representative: kept.newNumber(of: representative[g])) ?? -1
        }
        for (g, carry) in carried where groupMap[g] >= 0 {
            let now = groupMap[g]
            fresh.updateStatistics(of: now) { $0.add(carry.statistics) }
            fresh.groups[now].droppedCalls += carry.calls
            fresh.groups[now].droppedMessages += carry.messages
            // First and last seen, and so the rate, still count the dropped calls.
            fresh.groups[now].touch(carry.span.first)
            fresh.groups[now].touch(carry.span.last)
        }
        var figures = counters
        figures.evictedGroups += doomed.count
        figures.evictedCalls += droppedCalls.count
        figures.evictedMessages += evictedMessages
        figures.evictions += 1
        fresh.counters = figures
        fresh.addsSinceBudgetCheck = 0
        return EvictionOutcome(model: fresh, kept: kept, groupMap: groupMap, messagesBefore: messages.count)
    }

    /// Takes the rebuilt model in place of this one, the followed messages and groups
    /// renumbered. False (and nothing changes) when messages came in after the outcome's model
    /// was copied: they would be lost.
    @discardableResult
    public mutating func adopt(_ outcome: EvictionOutcome) -> Bool {
        guard messages.count == outcome.messagesBefore else { return false }
        var fresh = outcome.model
        // What the copy saw of each input: payloads written after it (held back by the owner
        // meanwhile, not in the rebuilt model yet) keep their bytes.
        let seen = fresh.inputs.map { $0.withBytes { $0.count } }
        // Inputs only ever come after: one opened meanwhile (a new spool file) keeps its id.
        fresh.inputs = inputs
        fresh.followedMessages = followedMessages.map(outcome.newNumber)
        fresh.followedGroups = followedGroups.map { $0 >= 0 && $0 < outcome.groupMap.count ? outcome.groupMap[$0] : -1 }
        self = fresh
        for (id, gaps) in unreferencedPayloadRanges() {
            let i = Int(id) - 1
            let end = i < seen.count ? seen[i] : 0
            inputs[i].giveBack(gaps.compactMap { $0.lowerBound < end ? $0.lowerBound..<min($0.upperBound, end) : nil })
        }
        return true
    }

    /// A copy of this model for a rebuild on another thread: inputs that the owner goes on
    /// writing (a live session's spool) are seen as they are now, or only up to the offset
    /// `heldFrom` gives for their id: where the payloads of messages the owner holds back,
    /// not in this model yet, begin. Adopting the rebuild then gives none of them back.
    public func readableAside(heldFrom: [UInt16: Int] = [:]) -> TraceStore {
        var copy = self
        copy.inputs = inputs.enumerated().map { i, input in input.readableAside(upTo: heldFrom[UInt16(i + 1)] ?? .max) }
        return copy
    }

    /// The group of this (rebuilt) model that is `group` of `old`: the same correlation id, the
    /// uncorrelated bucket, or else the group of its representative message (renumbered here).
    private func sameGroup(as group: CorrelationGroup, in old: TraceStore, representative: Int32) -> Int? {
        switch group.source {
        case .hep where group.correlationID != 0:
            let id = old.strings.withBytes(group.correlationID) { strings.lookup($0) }
            if let id, let g = groupByHEPCorrelation[id] { return Int(g) }
            return nil
        case .none:
            if let g = uncorrelatedGroup, !groups[Int(g)].isEmpty { return Int(g) }
            return nil
        default:
            return representative >= 0 && Int(representative) < messages.count ? groupIndex(ofMessage: representative) : nil
        }
    }

    /// The stretches of each input that gives space back (a live session's spool file) that no
    /// message refers to any more, `minimumGap` bytes or longer, from its start to past its
    /// end: after an eviction, where the evicted groups' payloads were.
    public func unreferencedPayloadRanges(minimumGap: Int = 64 << 10) -> [UInt16: [Range<Int>]] {
        var result: [UInt16: [Range<Int>]] = [:]
        for (i, input) in inputs.enumerated() where input.givesBackUnusedBytes {
            let id = UInt16(i + 1)
            let spans = messages.lazy.filter { $0.payload.source == id }
                .map { (offset: $0.payload.offset, end: $0.payload.offset + Int($0.payload.length)) }
            // Payloads are written in arrival order, the records' order: one pass, no copy. A
            // record out of order (never seen) must not have its bytes given back: then sorted.
            result[id] = Self.gaps(between: spans, minimumGap: minimumGap)
                ?? Self.gaps(between: spans.sorted { $0.offset < $1.offset }, minimumGap: minimumGap)!
        }
        return result
    }

    /// The stretches between `spans`, sorted by offset, that are `minimumGap` or longer, and
    /// the rest from the last span's end; nil when the spans are not sorted.
    private static func gaps<S: Sequence>(between spans: S, minimumGap: Int) -> [Range<Int>]?
    where S.Element == (offset: Int, end: Int) {
        var gaps: [Range<Int>] = []
        var end = 0
        var lastOffset = 0
        for s in spans {
            guard s.offset >= lastOffset else { return nil }
            lastOffset = s.offset
            if s.offset - end >= minimumGap { gaps.append(end..<s.offset) }
            end = max(end, s.end)
        }
        gaps.append(end..<Int.max)
        return gaps
    }

    /// A model holding only the messages (and events) `keep` accepts, each added again in its
    /// original order, as if just decoded: calls, states and links are worked out anew.
    public func rebuilt(expecting size: (messages: Int, calls: Int)? = nil, keeping keep: (Int32) -> Bool) -> TraceStore {
        var unused: Renumbering?
        return rebuilt(expecting: size, keeping: keep, renumbering: &unused)
    }

    /// Kept calls' and events' numbers here → their numbers in a rebuilt model.
    struct Renumbering {
        var calls: [Int32: Int32] = [:]
        var events: [Int32: Int32] = [:]
    }

    /// `rebuilt`, and with `renumbering` not nil, where each kept call and event went.
    func rebuilt(expecting size: (messages: Int, calls: Int)? = nil, keeping keep: (Int32) -> Bool,
                 renumbering: inout Renumbering?) -> TraceStore {
        var fresh = TraceStore(configuration: configuration)
        fresh.inputs = inputs
        if let size {
            fresh.messages.reserveCapacity(size.messages)
            fresh.calls.reserveCapacity(size.calls)
        }
        var readSinceRelease = 0
        for i in messages.indices where keep(Int32(i)) {
            if let placed = replay(Int32(i), into: &fresh) {
                // The exact duplicates it had, counted once here too.
                if let duplicates = duplicatesByMessage[Int32(i)] {
                    fresh.duplicatesByMessage[placed] = duplicates
                    fresh.counters.exactDuplicates += Int(duplicates)
                }
                let old = messages[i].call
                if old < 0 {
                    renumbering?.events[Int32(i)] = placed
                } else if renumbering?.calls[old] == nil {
                    renumbering?.calls[old] = fresh.messages[Int(placed)].call
                }
            }
            // Every kept payload is read once: the file pages that brings in go back every
            // 8 MiB read, or they would add to the peak of a rebuild made to save memory.
            readSinceRelease += Int(messages[i].payload.length)
            if readSinceRelease >= 8 << 20 {
                readSinceRelease = 0
                inputs.forEach { $0.releaseReadPages() }
            }
        }
        inputs.forEach { $0.releaseReadPages() }
        return fresh
    }

    /// Adds message `index` (and its other sightings) to `fresh` as if it had just been decoded;
    /// returns its number there (nil if `fresh` did not keep it as a message of its own).
    private func replay(_ index: Int32, into fresh: inout TraceStore) -> Int32? {
        var placed: Int32?
        let r = messages[Int(index)]
        let origin = origins[Int(r.origin)]
        let correlation: UInt32 = r.call >= 0 ? calls[Int(r.call)].hepCorrelation : (eventCorrelation[index] ?? 0)
        withPayload(of: r) { payload in
            var sip: SIPMessageIndex?
            if r.call >= 0, case .message(let i) = SIPParser.parse(payload) { sip = i }
            withOptionalBytes(correlation) { corr in
                withOptionalBytes(commentsByMessage[index] ?? 0) { comment in
                    withOptionalBytes(origin.node) { node in
                        func decoded(_ o: MessageOrigin, time: Timestamp, frame: UInt32, captured: Timestamp? = nil) -> DecodedMessage {
                            let hep = o.hepVersion == 0 ? nil : HEPFacts(
                                version: o.hepVersion, captureID: o.captureID, displayCaptureID: o.captureID,
                                ipProtocol: o.ipProtocol, hepTimestamp: time, correlationID: corr, nodeName: node,
                                authKey: nil, outerSource: nil, outerDestination: nil)
                            var m = DecodedMessage(
                                timestamp: time, captureTime: captured ?? time, source: endpoints[r.source],
                                destination: endpoints[r.destination], transport: r.transport,
                                payloadType: r.payloadType, payload: payload, sip: sip, hep: hep,
                                frameNumber: Int(frame), payloadInputOffset: r.payload.source == 0 ? nil : r.payload.offset)
                            m.frameComment = comment.map { FrameComment(utf8: $0) }
                            return m
                        }
                        let before = fresh.messages.count
                        fresh.add(decoded(origin, time: r.time, frame: r.frame, captured: captureTime(of: index)),
                                  input: origin.input, payloadInput: r.payload.source, interface: Int(origin.interface))
                        if fresh.messages.count > before { placed = Int32(before) }
                        for s in sightings(of: index) {
                            let o = origins[Int(s.origin)]
                            withOptionalBytes(o.node) { sightingNode in
                                var m = decoded(o, time: s.time, frame: s.frame)
                                m.hep?.nodeName = sightingNode
                                fresh.add(m, input: o.input, payloadInput: r.payload.source, interface: Int(o.interface))
                            }
                        }
                    }
                }
            }
        }
        return placed
    }

    private func withOptionalBytes(_ id: UInt32, _ body: (UnsafeRawBufferPointer?) -> Void) {
        if id == 0 { body(nil) } else { strings.withBytes(id) { body($0) } }
    }
}

extension TraceStore {
    /// Makes room at once for about `count` more messages and their calls, so that a big load
    /// does not stop to copy every record each time the arrays double (a copy of 64 MiB at half
    /// a million messages held up the viewer for 40 ms). Room beyond what is filled stays
    /// virtual: pages never written are not resident. Never beyond the memory budget.
    public mutating func reserveCapacity(forMoreMessages count: Int) {
        let limit = (configuration.memoryLimit ?? Int.max) / TraceStore.bytesPerRecord
        let wanted = min(messages.count + max(0, count), limit)
        if wanted > messages.capacity { messages.reserveCapacity(wanted) }
        // A call holds several messages (seven in a basic call, two in an OPTIONS ping).
        let wantedCalls = min(calls.count + max(0, count) / 2, limit / 2)
        if wantedCalls > calls.capacity { calls.reserveCapacity(wantedCalls) }
        reserveStrings(forMessages: max(0, wanted - messages.count))
    }
}

/// A model rebuilt without evicted groups and calls, made from a copy of the old one, and how
/// the old one's message and group numbers map into it.
public struct EvictionOutcome: Sendable {
    let model: TraceStore
    let kept: KeptMessages
    let groupMap: [Int]
    /// How many messages the old model held: it must hold no more when this is adopted.
    let messagesBefore: Int

    /// The new number of old message `old`, -1 when it was evicted (or is not a number).
    public func newNumber(of old: Int32) -> Int32 { kept.newNumber(of: old) }
}

/// Which messages a rebuild kept, one bit each in order, with the count kept before each word
/// of 64: a kept message's new number is that count plus the kept ones before it in its word.
struct KeptMessages: Sendable {
    private var words: [UInt64] = []
    private var keptBefore: [Int32] = []
    private var count = 0
    private var total: Int32 = 0

    init(capacity: Int) {
        words.reserveCapacity((capacity + 63) / 64)
        keptBefore.reserveCapacity((capacity + 63) / 64)
    }

    /// The next message in order: kept or not.
    mutating func append(_ keep: Bool) {
        if count % 64 == 0 {
            words.append(0)
            keptBefore.append(total)
        }
        if keep {
            words[words.count - 1] |= 1 << UInt64(count % 64)
            total += 1
        }
        count += 1
    }

    func newNumber(of old: Int32) -> Int32 {
        let i = Int(old)
        guard i >= 0, i < count else { return -1 }
        let word = words[i / 64]
        let bit = UInt64(1) << UInt64(i % 64)
        guard word & bit != 0 else { return -1 }
        return keptBefore[i / 64] + Int32((word & (bit - 1)).nonzeroBitCount)
    }
}
