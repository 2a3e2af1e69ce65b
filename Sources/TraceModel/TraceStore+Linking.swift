import WireDecoding

extension TraceStore {
    enum TokenKind: UInt8 { case callID = 1, sessionID, icid, header }

    static func tokenHash(_ kind: TokenKind, _ bytes: UnsafeRawBufferPointer, extra: UInt32 = 0) -> UInt64 {
        tokenHash(kind, byteHash: ByteHash.of(bytes), extra: extra)
    }

    /// The same, from the bytes' `ByteHash`.
    static func tokenHash(_ kind: TokenKind, byteHash: UInt64, extra: UInt32 = 0) -> UInt64 {
        var h = byteHash
        h = (h ^ UInt64(kind.rawValue)) &* 0x100_0000_01b3
        h = (h ^ UInt64(extra)) &* 0x100_0000_01b3
        return h
    }

    static func tokenHash(_ kind: TokenKind, _ strings: ByteStringTable, _ id: UInt32) -> UInt64 {
        strings.withBytes(id) { tokenHash(kind, $0) }
    }

    /// A new call announces its own Call-ID (`hash`: its `ByteHash`): calls that named it
    /// earlier are linked now, and HEP events that arrived before it (correlated by this
    /// Call-ID) join it.
    mutating func registerCallID(_ call: Int32, hash: UInt64) {
        let id = calls[Int(call)].callID
        let token = TraceStore.tokenHash(.callID, byteHash: hash)
        // Known before any link: a leg that named this call earlier (X-CID) follows it into its session.
        if calls[Int(call)].hepCorrelation != 0 { linker.hepGroup[call] = calls[Int(call)].group }
        switch linker.tokens[token] {
        case nil:
            linker.tokens[token] = .callID(call)
        case .reference(let r):
            linker.tokens[token] = .callID(call)
            link(r, call, .xCallID)
        case .callID, .shared:
            break  // the same Call-ID in another session: not a link
        }
        adoptEarlyEvents(named: id, into: call)
    }

    /// Reads the correlation headers of a message and links its call to the legs they name.
    mutating func linkLegs(_ call: Int32, _ sip: SIPMessageIndex, _ p: UnsafeRawBufferPointer) {
        if let r = sip.xCallID { linkReference(call, p.slice(r)) }
        if let r = sip.sessionID { linkSessionID(call, p, r) }
        if let r = sip.icidValue { linkShared(call, TraceStore.tokenHash(.icid, p.slice(r)), .icidValue) }
        // Most sessions configure no link headers: no loop then (it held the list each message).
        guard !linkHeaderNames.isEmpty else { return }
        for (i, name) in linkHeaderNames.enumerated() {
            if let r = SIPHeaderLookup.firstValue(named: name, in: p, headerEnd: sip.bodyStart) {
                linkShared(call, TraceStore.tokenHash(.header, p.slice(r), extra: UInt32(i)), .header(linkHeaderIDs[i]))
            }
        }
    }

    /// RFC 7989: "local-uuid;remote=remote-uuid". Both UUIDs identify the session end to end;
    /// the all-zero UUID means "not known yet" and links nothing.
    private mutating func linkSessionID(_ call: Int32, _ p: UnsafeRawBufferPointer, _ local: Range<Int>) {
        var values = [local]
        if let line = p.lineContaining(local), let remote = p.parameter("remote", in: line) {
            values.append(remote)
        }
        for r in values where r.count >= 8 && p.slice(r).contains(where: { $0 != 48 }) {
            linkShared(call, TraceStore.tokenHash(.sessionID, p.slice(r)), .sessionID)
        }
    }

    private mutating func linkReference(_ call: Int32, _ value: UnsafeRawBufferPointer) {
        let token = TraceStore.tokenHash(.callID, value)
        guard seenToken(call, token) else { return }
        // Prefer the leg with that Call-ID in the same session, when there is one.
        if let target = strings.lookup(value).flatMap({ self.call(withKey: CallKey(correlation: calls[Int(call)].hepCorrelation, callID: $0)) }),
           target != call {
            link(call, target, .xCallID)
            return
        }
        switch linker.tokens[token] {
        case nil:
            linker.tokens[token] = .reference(call)
        case .callID(let target), .reference(let target), .shared(let target):
            if target != call { link(call, target, .xCallID) }
        }
    }

    private mutating func linkShared(_ call: Int32, _ token: UInt64, _ reason: LinkReason) {
        guard seenToken(call, token) else { return }
        switch linker.tokens[token] {
        case nil:
            linker.tokens[token] = .shared(call)
        case .callID(let other), .reference(let other), .shared(let other):
            if other != call { link(call, other, reason) }
        }
    }

    /// Each call handles each token once, not once per message.
    private mutating func seenToken(_ call: Int32, _ token: UInt64) -> Bool {
        if linkTokensSeen[call]?.contains(token) == true { return false }
        linkTokensSeen[call, default: []].append(token)
        return true
    }

    /// Records the link and merges the two legs' components; calls without a HEP correlation id
    /// then follow the component to its group.
    mutating func link(_ a: Int32, _ b: Int32, _ reason: LinkReason) {
        if callLinks[a]?.contains(where: { $0.other == b }) != true { callLinks[a, default: []].append(CallLink(other: b, reason: reason)) }
        if callLinks[b]?.contains(where: { $0.other == a }) != true { callLinks[b, default: []].append(CallLink(other: a, reason: reason)) }
        guard let (root, absorbed) = linker.union(a, b) else { return }
        let bigLink = linker.linkGroup[root], smallLink = linker.linkGroup[absorbed]
        linker.linkGroup[absorbed] = nil
        let target: UInt32
        if let h = linker.hepGroup[root] {
            target = h
            linker.linkGroup[root] = nil
        } else if let g = bigLink ?? smallLink {
            target = g
            linker.linkGroup[root] = g
        } else {
            target = newGroup(CorrelationGroup(correlationID: 0, source: .link(reason)))
            linker.linkGroup[root] = target
        }
        for m in linker.members(of: root) where calls[Int(m)].hepCorrelation == 0 && calls[Int(m)].group != target {
            move(call: m, to: target)
        }
        for g in [bigLink, smallLink].compactMap({ $0 }) where g != target && groups[Int(g)].calls.isEmpty {
            retire(group: g)
        }
    }

    /// Moves a call (with its messages' counts and its statistics) to another group.
    mutating func move(call c: Int32, to target: UInt32) {
        let call = calls[Int(c)]
        let from = Int(call.group)
        let contribution = GroupStatistics.Contribution(call)
        // Swap-remove from the old group's list.
        let pos = Int(call.positionInGroup)
        let last = groups[from].calls.removeLast()
        if last != c {
            groups[from].calls[pos] = last
            calls[Int(last)].positionInGroup = Int32(pos)
        }
        updateStatistics(of: from) { $0.apply(contribution, sign: -1) }
        groups[from].messageCount -= Int(call.messageCount)
        groups[from].timesStale = true
        calls[Int(c)].group = target
        calls[Int(c)].positionInGroup = Int32(groups[Int(target)].calls.count)
        groups[Int(target)].calls.append(c)
        updateStatistics(of: Int(target)) { $0.apply(contribution, sign: 1) }
        groups[Int(target)].messageCount += Int(call.messageCount)
        // A call linked as it is registered has no message yet (its times are still the
        // empty span's ends); its first message touches its group as it is added.
        if call.messageCount > 0 {
            groups[Int(target)].touch(call.firstTime)
            groups[Int(target)].touch(call.lastTime)
        }
        groups[Int(target)].lastArrival = max(groups[Int(target)].lastArrival, Int(max(call.lastMessage, 0)) + 1)
        for e in eventsByCall[c] ?? [] {
            if let i = groups[from].events.firstIndex(of: e) { groups[from].events.remove(at: i) }
            groups[from].messageCount -= 1
            groups[Int(target)].events.append(e)
            groups[Int(target)].messageCount += 1
            eventGroups[e] = target
        }
    }

    /// Moves an event that belongs to no call to another group (a filter's model keeping it
    /// where it was shown).
    mutating func move(event e: Int32, to target: UInt32) {
        let from = Int(eventGroups[e] ?? 0)
        if let i = groups[from].events.firstIndex(of: e) { groups[from].events.remove(at: i) }
        groups[from].messageCount -= 1
        groups[from].timesStale = true
        groups[Int(target)].events.append(e)
        groups[Int(target)].messageCount += 1
        groups[Int(target)].touch(messages[Int(e)].time)
        eventGroups[e] = target
    }

    /// Events correlated by a Call-ID that arrived before the call: they wait in a group named by
    /// that Call-ID; when the call appears they move to it. When the call's own messages carry
    /// that correlation id too, the group is the call's and its first call takes them in place.
    private mutating func adoptEarlyEvents(named id: UInt32, into call: Int32) {
        guard let g = groupByHEPCorrelation[id], !groups[Int(g)].events.isEmpty else { return }
        if g == calls[Int(call)].group {
            guard groups[Int(g)].calls == [call] else { return }
            eventsByCall[call, default: []] += groups[Int(g)].events
            for e in groups[Int(g)].events { callByEvent[e] = call }
            return
        }
        guard groups[Int(g)].calls.isEmpty else { return }
        let target = calls[Int(call)].group
        for e in groups[Int(g)].events {
            eventGroups[e] = target
            groups[Int(target)].events.append(e)
            groups[Int(target)].messageCount += 1
            groups[Int(target)].touch(messages[Int(e)].time)
            eventsByCall[call, default: []].append(e)
            callByEvent[e] = call
        }
        groups[Int(g)].events.removeAll()
        groups[Int(g)].messageCount = 0
        retire(group: g)
        groupByHEPCorrelation[id] = nil
    }

    /// Marks a group whose calls and events went to another as retired (listed nowhere).
    private mutating func retire(group g: UInt32) {
        guard !groups[Int(g)].retired else { return }
        groups[Int(g)].retired = true
        retiredGroupCount += 1
    }
}
