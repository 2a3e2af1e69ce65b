/// What a filter shows, as a model of its own.
extension TraceStore {
    /// A model of the messages `keep` accepts (a filter's choice), worked out anew as `rebuilt`
    /// does, so that statistics describe what is shown; but a filter only hides calls: one that
    /// joined a session or a group of linked legs through a call the filter hides stays in that
    /// group, not among the uncorrelated.
    public func shown(keeping keep: (Int32) -> Bool) -> TraceStore {
        var renumbering: Renumbering? = Renumbering()
        var fresh = rebuilt(keeping: keep, renumbering: &renumbering)
        var linkGroups: [Int: UInt32] = [:]  // a link group here → its group there
        /// The group there that stands for group `g` here (nil: the uncorrelated bucket, which
        /// needs no keeping). `now` is where the call or event landed there.
        func counterpart(of g: Int, now: UInt32) -> UInt32? {
            let was = groups[g]
            switch was.source {
            case .none:
                return nil
            case .hep:
                let id = strings.withBytes(was.correlationID) { fresh.strings.intern($0) }
                return fresh.hepGroup(id)
            case .link:
                if let t = linkGroups[g] { return t }
                // Named as here, by its A-leg, though the filter may hide it.
                let name = fresh.strings.intern(correlationID(of: was) ?? "")
                let target: UInt32
                if case .link = fresh.groups[Int(now)].source {
                    target = now
                    fresh.groups[Int(now)].correlationID = name
                } else {
                    target = fresh.newGroup(CorrelationGroup(correlationID: name, source: was.source))
                }
                linkGroups[g] = target
                return target
            }
        }
        let kept = renumbering?.calls ?? [:]
        for (old, new) in kept.sorted(by: { $0.key < $1.key }) {
            for link in links(of: old) where kept[link.other] == nil {
                fresh.linksToHidden[new, default: []].append((strings.string(calls[Int(link.other)].callID), link.reason.name(strings)))
            }
            let now = fresh.calls[Int(new)].group
            if let target = counterpart(of: Int(calls[Int(old)].group), now: now), target != now {
                fresh.move(call: new, to: target)
            }
        }
        // Events whose call is hidden (or that have none) stay in their group too; those
        // attached to a call shown went along with it.
        for (old, new) in (renumbering?.events ?? [:]).sorted(by: { $0.key < $1.key }) where fresh.call(ofEvent: new) == nil {
            if let c = call(ofEvent: old) { fresh.hiddenCallOfEvent[new] = strings.string(calls[Int(c)].callID) }
            let now = UInt32(fresh.groupIndex(ofMessage: new))
            if let target = counterpart(of: groupIndex(ofMessage: old), now: now), target != now {
                fresh.move(event: new, to: target)
            }
        }
        // What the memory budget let go is the input's loss, whatever the filter shows.
        fresh.counters.evictedGroups = counters.evictedGroups
        fresh.counters.evictedCalls = counters.evictedCalls
        fresh.counters.evictedMessages = counters.evictedMessages
        fresh.counters.evictions = counters.evictions
        return fresh
    }
}
