/// What a filter shows, as a model of its own.
extension TraceStore {
    /// A model of the messages `keep` accepts (a filter's choice), worked out anew as `rebuilt`
    /// does, so that statistics describe what is shown; but a filter only hides calls: one that
    /// joined a session or a group of linked legs through a call the filter hides stays in that
    /// group, not among the uncorrelated.
    public func shown(keeping keep: (Int32) -> Bool) -> TraceStore {
        var newCalls: [Int32: Int32]? = [:]
        var fresh = rebuilt(keeping: keep, newCalls: &newCalls)
        var linkGroups: [Int: UInt32] = [:]  // a link group here → its group there
        for (old, new) in (newCalls ?? [:]).sorted(by: { $0.key < $1.key }) {
            let was = groups[Int(calls[Int(old)].group)]
            let now = fresh.calls[Int(new)].group
            let target: UInt32
            switch was.source {
            case .none:
                continue
            case .hep:
                let id = strings.withBytes(was.correlationID) { fresh.strings.intern($0) }
                target = fresh.hepGroup(id)
            case .link:
                if let g = linkGroups[Int(calls[Int(old)].group)] {
                    target = g
                } else {
                    // Named as here, by its A-leg, though the filter may hide it.
                    let name = fresh.strings.intern(correlationID(of: was) ?? "")
                    if case .link = fresh.groups[Int(now)].source {
                        target = now
                        fresh.groups[Int(now)].correlationID = name
                    } else {
                        target = fresh.newGroup(CorrelationGroup(correlationID: name, source: was.source))
                    }
                    linkGroups[Int(calls[Int(old)].group)] = target
                }
            }
            if now != target { fresh.move(call: new, to: target) }
        }
        // What the memory budget let go is the input's loss, whatever the filter shows.
        fresh.counters.evictedGroups = counters.evictedGroups
        fresh.counters.evictedCalls = counters.evictedCalls
        fresh.counters.evictedMessages = counters.evictedMessages
        fresh.counters.evictions = counters.evictions
        return fresh
    }
}
