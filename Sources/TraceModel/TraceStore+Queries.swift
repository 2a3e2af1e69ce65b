import WireDecoding

/// Read access for renderers (text, JSON, the terminal UI).
extension TraceStore {
    /// Groups in order of their first message (ties: order of arrival); merged-away and empty
    /// groups are left out.
    public var orderedGroups: [Int] {
        let live = groups.indices.filter { !groups[$0].retired && !groups[$0].isEmpty }
        let first = Dictionary(uniqueKeysWithValues: live.map { ($0, span(of: groups[$0]).first) })
        return live.sorted { (first[$0]!, $0) < (first[$1]!, $1) }
    }

    /// First and last time of what the group holds now.
    public func span(of g: CorrelationGroup) -> (first: Timestamp, last: Timestamp) {
        guard g.timesStale else { return (g.firstTime, g.lastTime) }
        return span(calls: g.calls, events: g.events)
    }

    /// From the first to the last message of these calls and events (a filter's share of a group).
    public func span(calls shown: some Sequence<Int32>, events: some Sequence<Int32>) -> (first: Timestamp, last: Timestamp) {
        var first = Timestamp(nanoseconds: .max), last = Timestamp(nanoseconds: .min)
        for c in shown {
            first = min(first, calls[Int(c)].firstTime)
            last = max(last, calls[Int(c)].lastTime)
        }
        for e in events {
            first = min(first, messages[Int(e)].time)
            last = max(last, messages[Int(e)].time)
        }
        return (first, last)
    }

    /// The group's name: its HEP correlation id; for a group formed by header links, the Call-ID
    /// of its earliest call (the A-leg); nil for the uncorrelated bucket.
    public func correlationID(of group: CorrelationGroup) -> String? {
        switch group.source {
        case .hep: return strings.string(group.correlationID)
        case .none: return nil
        case .link:
            if group.correlationID != 0 { return strings.string(group.correlationID) }
            let first = group.calls.min { (calls[Int($0)].firstTime, $0) < (calls[Int($1)].firstTime, $1) }
            return first.map { strings.string(calls[Int($0)].callID) }
        }
    }

    public func sourceName(of group: CorrelationGroup) -> String { group.source.name(strings) }

    /// A group's calls in order of their first message.
    public func orderedCalls(of group: CorrelationGroup) -> [Int32] {
        group.calls.sorted { (calls[Int($0)].firstTime, $0) < (calls[Int($1)].firstTime, $1) }
    }

    /// A call's messages in arrival order.
    public func messages(of call: Int32) -> [Int32] {
        let c = calls[Int(call)]
        var list = [Int32](repeating: 0, count: Int(c.messageCount))
        var m = c.lastMessage, i = list.count
        while m >= 0, i > 0 {
            i -= 1
            list[i] = m
            m = messages[Int(m)].previousInCall
        }
        return list
    }

    /// A call's messages by time; ties keep arrival order.
    public func orderedMessages(of call: Int32) -> [Int32] { ordered(messages(of: call)) }

    /// Message indices by time; ties keep arrival order.
    public func ordered(_ indices: [Int32]) -> [Int32] {
        indices.sorted { (messages[Int($0)].time, $0) < (messages[Int($1)].time, $1) }
    }

    /// The HEP correlation id a message or event carried (nil when none).
    public func correlationID(ofMessage index: Int32) -> String? {
        let r = messages[Int(index)]
        let id = r.call >= 0 ? calls[Int(r.call)].hepCorrelation : (eventCorrelation[index] ?? 0)
        return id == 0 ? nil : strings.string(id)
    }

    /// The group a message or event belongs to now (a call's group can change when it is linked).
    public func groupIndex(ofMessage index: Int32) -> Int {
        let r = messages[Int(index)]
        return Int(r.call >= 0 ? calls[Int(r.call)].group : (eventGroups[index] ?? 0))
    }

    public func origin(of r: MessageRecord) -> MessageOrigin { origins[Int(r.origin)] }

    /// When the message was captured (or received), as opposed to the sender's HEP time; nil
    /// when the two are too far apart to have been kept.
    public func captureTime(of index: Int32) -> Timestamp? {
        let r = messages[Int(index)]
        guard r.captureOffset != Int32.min else { return nil }
        let (t, overflow) = r.time.nanoseconds.subtractingReportingOverflow(Int64(r.captureOffset) * 1000)
        return overflow ? nil : Timestamp(nanoseconds: t)
    }

    /// The input registered as `id` (1...), whose bytes payloads may point into.
    public func input(_ id: UInt16) -> (any PayloadSource)? {
        id >= 1 && Int(id) <= inputs.count ? inputs[Int(id) - 1] : nil
    }

    /// Other capture points that saw the same message, with the hop delay.
    public func sightings(of message: Int32) -> [Sighting] { sightingsByMessage[message] ?? [] }

    public func comment(of message: Int32) -> String? { commentsByMessage[message].map { strings.string($0) } }

    /// HEP events attached to a call (their correlation id was its Call-ID).
    public func events(of call: Int32) -> [Int32] { eventsByCall[call] ?? [] }

    /// The call an event is attached to, if any.
    public func call(ofEvent event: Int32) -> Int32? {
        callByEvent[event]
    }

    public func withPayload<R>(of r: MessageRecord, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let ref = r.payload
        if ref.source == 0 { return arena.withBytes(offset: ref.offset, length: Int(ref.length), body) }
        return inputs[Int(ref.source) - 1].withBytes { all in
            guard ref.offset + Int(ref.length) <= all.count else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return body(all.slice(ref.offset..<ref.offset + Int(ref.length)))
        }
    }

    public func payload(of r: MessageRecord) -> [UInt8] { withPayload(of: r) { Array($0) } }

    /// The request method of a message ("INVITE", or the text of an unknown one); nil for responses.
    public func methodName(_ index: Int32) -> String? {
        let r = messages[Int(index)]
        guard r.status == 0, r.call >= 0 else { return nil }
        guard r.method == .other else { return r.method.name }
        return otherMethods[index].map { strings.string($0) } ?? "OTHER"
    }

    /// "1 INVITE", as the CSeq header says.
    public func cseqText(_ index: Int32) -> String? {
        let r = messages[Int(index)]
        guard r.hasCSeq else { return nil }
        let method = r.cseqMethod == .other ? otherCSeqMethods[index].map { strings.string($0) } ?? "" : r.cseqMethod.name
        return "\(r.cseq) \(method)"
    }

    /// The legs a call was linked to, and why.
    public func links(of call: Int32) -> [CallLink] { callLinks[call] ?? [] }

    /// In a filter's model: the call's links to calls the filter hides (Call-ID, header).
    public func linksToHiddenCalls(of call: Int32) -> [(callID: String, header: String)] { linksToHidden[call] ?? [] }

    /// In a filter's model: the Call-ID of the hidden call an event belongs to.
    public func hiddenCallID(ofEvent event: Int32) -> String? { hiddenCallOfEvent[event] }

    /// A call's transactions, in the order they began (a message's `transaction` is a position here).
    public func transactions(of call: Int32) -> [Transaction] {
        transactionLists.list(from: calls[Int(call)].lastTransaction)
    }

    /// A call's dialogs, in the order they were established.
    public func dialogs(of call: Int32) -> [Dialog] { dialogLists.list(from: calls[Int(call)].lastDialog) }

    /// The calls that have at least one link.
    public var linkedCalls: Dictionary<Int32, [CallLink]>.Keys { callLinks.keys }

    /// Messages per second over the group's lifetime.
    public func rate(of group: CorrelationGroup) -> Double? {
        Self.rate(group.sessionMessageCount, over: span(of: group))
    }

    /// `messages` a second from the first to the last; nil for one message or no time between.
    public static func rate(_ messages: Int, over span: (first: Timestamp, last: Timestamp)) -> Double? {
        let nanoseconds = span.last.nanoseconds(since: span.first)
        guard messages > 1, nanoseconds > 0 else { return nil }
        return Double(messages) / (Double(nanoseconds) / 1e9)
    }

    /// What the model holds in memory, from the sizes of its lists and tables: records, calls,
    /// strings, lookup tables, the per-message side tables (sightings, comments, events) and
    /// payloads copied into its arena (not those left in a file or a spool file). Room
    /// reserved ahead but not filled is left out: it stays virtual. What the memory budget is
    /// held to; cheap enough to work out every few thousand messages.
    public var memoryInUse: Int {
        var total = messages.count * MemoryLayout<MessageRecord>.stride
        total += calls.count * (MemoryLayout<Call>.stride + 4 + 4)  // + its place in a group's list and by Call-ID
        total += groups.count * MemoryLayout<CorrelationGroup>.stride
        total += transactionLists.usedBytes + dialogLists.usedBytes
        total += strings.usedBytes + endpoints.usedBytes + arena.byteCount
        total += callByKey.capacity * 16 + linker.tokens.capacity * 16
        // Dictionaries: about 16 bytes an entry of hash storage; an array value adds its own
        // allocation (32 bytes of header, malloc's rounding) and elements.
        let arrayEntry = 16 + 48
        total += sightingsByMessage.count * (arrayEntry + 2 * MemoryLayout<Sighting>.stride)
        total += (eventsByCall.count + callLinks.count + linkTokensSeen.count) * (arrayEntry + 16)
        total += (commentsByMessage.count + duplicatesByMessage.count + eventCorrelation.count + eventGroups.count + otherMethods.count
                  + otherCSeqMethods.count + callByEvent.count) * 16
        total += eventGroups.count * 4  // each event in its group's list
        total += statisticsBytes
        return total
    }

    /// Bytes the model itself holds (records, calls, tables), for the bytes-per-message figure.
    public var modelMemoryBytes: Int {
        var total = messages.capacity * MemoryLayout<MessageRecord>.stride
        total += calls.capacity * MemoryLayout<Call>.stride
        total += transactionLists.memoryBytes + dialogLists.memoryBytes
        total += groups.capacity * MemoryLayout<CorrelationGroup>.stride
        total += strings.memoryBytes + arena.byteCount
        total += callByKey.capacity * 16 + linker.tokens.capacity * 16 + calls.count * 12
        return total
    }
}
