import WireDecoding

/// The trace model: correlation groups, their calls, and the messages, built incrementally as
/// decoded messages arrive (O(1) amortised per message, no rescans). One thread owns it; other
/// threads hand it batches.
public struct TraceStore: Sendable {
    public struct Configuration: Sendable {
        /// Extra headers whose equal values link call legs (besides X-CID, X-Call-ID,
        /// Session-ID and P-Charging-Vector icid-value).
        public var linkHeaders: [String] = []
        /// Identical payloads from two capture points closer than this are one message seen twice.
        public var sightingWindow: Int64 = 2_000_000_000
        /// Memory budget for the model in bytes (nil: none). Past it, whole correlation groups
        /// are evicted, least recently active first.
        public var memoryLimit: Int?
        /// Over the budget, the model does not evict by itself: it sets `budgetCheckDue` and
        /// its owner evicts (a live session rebuilds aside, its screens answering meanwhile).
        public var evictionsByOwner = false

        public init(linkHeaders: [String] = [], sightingWindow: Int64 = 2_000_000_000, memoryLimit: Int? = nil,
                    evictionsByOwner: Bool = false) {
            self.linkHeaders = linkHeaders
            self.sightingWindow = sightingWindow
            self.memoryLimit = memoryLimit
            self.evictionsByOwner = evictionsByOwner
        }
    }

    /// Copies of one packet closer than this are the capture's duplicates (10 ms).
    public static let captureDuplicateWindow: Int64 = 10_000_000

    /// What the model itself counted (the decoders count the rest).
    public struct Counters: Sendable, Equatable {
        /// The capture's copies of a message (same bytes, sender and capture point within
        /// `captureDuplicateWindow`), counted once.
        public var exactDuplicates = 0
        /// Second sightings of a message at another capture point.
        public var sightings = 0
        public var retransmissions = 0
        /// Groups (and their messages) dropped to stay within the memory budget.
        public var evictedGroups = 0
        public var evictedMessages = 0
        /// Calls dropped from sessions kept (one session alone over the budget); their
        /// messages are in `evictedMessages` too.
        public var evictedCalls = 0
        /// Times the model was rebuilt without evicted groups or calls (every index may have moved).
        public var evictions = 0
    }

    public let configuration: Configuration
    public internal(set) var messages: [MessageRecord] = []
    public internal(set) var groups: [CorrelationGroup] = []
    public internal(set) var calls: [Call] = []
    public internal(set) var strings = ByteStringTable()
    public internal(set) var endpoints = EndpointTable()
    public internal(set) var origins = ValueTable<MessageOrigin>()
    public internal(set) var counters = Counters()
    var arena = PayloadArena()
    /// Every call's transactions and dialogs (see `Call.lastTransaction`).
    var transactionLists = ChainedLists<Transaction>()
    var dialogLists = ChainedLists<Dialog>()
    var inputs: [any PayloadSource] = []
    var sightingsByMessage: [Int32: [Sighting]] = [:]
    var commentsByMessage: [Int32: UInt32] = [:]
    /// Exact duplicates dropped, by the message they repeat (few, but one a message on a
    /// capture from a SPAN port that mirrors both directions), so that a model rebuilt
    /// with part of the messages (a filter) counts those of the messages it keeps.
    var duplicatesByMessage: [Int32: Int32] = [:]
    var eventsByCall: [Int32: [Int32]] = [:]
    /// The other way round: the call each attached event belongs to.
    var callByEvent: [Int32: Int32] = [:]
    /// The HEP correlation id each event carried (events are few; SIP records use their call's).
    var eventCorrelation: [Int32: UInt32] = [:]
    /// The group of each event (SIP records use their call's).
    var eventGroups: [Int32: UInt32] = [:]
    /// CSeq methods outside the known set, by message.
    var otherCSeqMethods: [Int32: UInt32] = [:]
    /// Legs each call was linked to, and why (only calls that have links).
    var callLinks: [Int32: [CallLink]] = [:]
    /// A filter's model only (`shown`): what its calls and events are linked to among what the
    /// filter hides, by Call-ID and header, so that it still says so.
    var linksToHidden: [Int32: [(callID: String, header: String)]] = [:]
    var hiddenCallOfEvent: [Int32: String] = [:]
    /// Link tokens each call has already handled.
    var linkTokensSeen: [Int32: [UInt64]] = [:]
    /// Times a call's start moved earlier once it had messages (one older than its first came
    /// late): a list of calls in start order is then out of order, not only short.
    public internal(set) var callStartsMoved = 0
    /// Groups retired so far (their calls and events went to another group).
    public internal(set) var retiredGroupCount = 0
    /// Heap bytes of all groups' statistics (their histograms grow with the latencies seen).
    var statisticsBytes = 0
    var addsSinceBudgetCheck = 0
    /// With `evictionsByOwner`: enough came in since the budget was last looked at.
    public var budgetCheckDue = false
    /// Messages whose numbers a reader holds (a viewer's open screens): an eviction renumbers
    /// them in place, -1 for those it dropped, so the reader can find its place again.
    public var followedMessages: [Int32] = []
    /// Groups a reader holds by number, renumbered in place by an eviction the same way.
    public var followedGroups: [Int] = []
    var lastCorrelation: UInt32 = 0
    var lastOrigin: (origin: MessageOrigin, id: UInt16)?
    /// Request methods outside the known set (rare), by message.
    var otherMethods: [Int32: UInt32] = [:]

    var groupByHEPCorrelation: [UInt32: UInt32] = [:]
    /// Every call by (correlation id, Call-ID); see `CallKey.packed`.
    var callByKey = UInt64Table()
    /// By string id: the first call with that Call-ID (-1: none), the fast path of `call(for:)`.
    var firstCallOfString: [Int32] = []
    var uncorrelatedGroup: UInt32?
    var linker = LegLinker()
    let linkHeaderNames: [[UInt8]]
    var linkHeaderIDs: [UInt32] = []

    struct CallKey: Hashable {
        var correlation: UInt32
        var callID: UInt32

        var packed: UInt64 { UInt64(correlation) << 32 | UInt64(callID) }
    }

    func call(withKey key: CallKey) -> Int32? { callByKey[key.packed].map { Int32(truncatingIfNeeded: $0) } }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        linkHeaderNames = configuration.linkHeaders.map { Array($0.lowercased().utf8) }
        linkHeaderIDs = configuration.linkHeaders.map { strings.intern($0) }
    }

    /// Makes room for about `count` more messages at once, so a big file is not copied again
    /// and again while the arrays double.
    public mutating func reserveCapacity(messages count: Int) {
        messages.reserveCapacity(self.messages.count + count)
        calls.reserveCapacity(self.calls.count + count / 6)
        reserveStrings(forMessages: count)
    }

    /// Room in the lists of strings and endpoints for what `count` messages may bring (a load
    /// test has a Call-ID and two users a call, often endpoints of its own too): only the
    /// lists, whose room stays virtual until filled, not the hash slots, which are written
    /// whole when made.
    mutating func reserveStrings(forMessages count: Int) {
        strings.reserveCapacity(strings: count / 2, bytes: count * 8)
        firstCallOfString.reserveCapacity(firstCallOfString.count + count / 2)
        endpoints.reserveCapacity(count / 2)
    }

    /// Registers an input whose bytes messages may point into; returns its id for `add`.
    public mutating func addInput(_ source: any PayloadSource) -> UInt16 {
        inputs.append(source)
        return UInt16(inputs.count)
    }

    /// Adds one decoded message or event. `input` is the id from `addInput` of the bytes that
    /// `message.payloadInputOffset` refers to (0: none, the payload is copied).
    /// `payloadInput`: the input the payload offsets refer to, when not `input` (a live session's
    /// spool file, which is not a capture: the message's origin stays input 0).
    public mutating func add(_ m: DecodedMessage, input: UInt16 = 0, payloadInput: UInt16? = nil, interface: Int = 0) {
        add(m, input: input, payloadInput: payloadInput ?? input, interface: interface, resolved: Resolved())
        countAdds(1)
    }

    /// Ids of a message's Call-ID and endpoints, when the caller looked them up already.
    struct Resolved {
        var callID: UInt32?
        var source: UInt32?
        var destination: UInt32?
    }

    /// Every few thousand messages, the memory budget is checked (and groups evicted). Never in
    /// the middle of a batch: the ids looked up for the batch would not survive the rebuild.
    mutating func countAdds(_ n: Int) {
        addsSinceBudgetCheck += n
        if addsSinceBudgetCheck >= 4096 {
            addsSinceBudgetCheck = 0
            if configuration.evictionsByOwner { budgetCheckDue = true } else { enforceMemoryLimit() }
        }
    }

    private mutating func add(_ m: DecodedMessage, input: UInt16, payloadInput: UInt16, interface: Int, resolved: Resolved) {
        let correlation: UInt32
        if let cid = m.hep?.correlationID, !cid.isEmpty {
            // A session sends thousands of messages with the same id: compare before hashing.
            if lastCorrelation != 0, strings.has(lastCorrelation, bytes: cid) {
                correlation = lastCorrelation
            } else {
                correlation = strings.intern(cid)
                lastCorrelation = correlation
            }
        } else {
            correlation = 0
        }
        let origin = originID(MessageOrigin(
            hepVersion: m.hep?.version ?? 0, ipProtocol: m.hep?.ipProtocol ?? 0,
            captureID: m.hep?.displayCaptureID ?? 0, node: m.hep?.nodeName.map { strings.intern($0) } ?? 0,
            input: input, interface: UInt16(truncatingIfNeeded: interface)))
        let source = resolved.source ?? endpoints.id(m.source)
        let destination = resolved.destination ?? endpoints.id(m.destination)
        if let sip = m.sip, let callRange = sip.callID {
            let digest = m.digest ?? MessageDigest(payload: m.payload, sip: sip)
            let callID = resolved.callID ?? strings.intern(m.payload.slice(callRange), byteHash: digest.callID)
            addSIP(m, sip, digest, callID: callID, correlation: correlation, origin: origin, payloadInput: payloadInput,
                   source: source, destination: destination)
        } else {
            addEvent(m, correlation: correlation, origin: origin, payloadInput: payloadInput, source: source, destination: destination)
        }
    }

    /// Origins are few and runs of messages share one: compare with the last before hashing.
    private mutating func originID(_ o: MessageOrigin) -> UInt16 {
        if let last = lastOrigin, last.origin == o { return last.id }
        let id = UInt16(truncatingIfNeeded: origins.id(o))
        lastOrigin = (o, id)
        return id
    }

    // MARK: SIP messages

    private mutating func addSIP(_ m: DecodedMessage, _ sip: SIPMessageIndex, _ digest: MessageDigest, callID: UInt32,
                                 correlation: UInt32, origin: UInt16, payloadInput: UInt16, source: UInt32, destination: UInt32) {
        let callIndex = call(for: callID, hash: digest.callID, correlation: correlation, time: m.timestamp)
        let p = m.payload
        let hash = UInt32(truncatingIfNeeded: digest.payload)
        let length = UInt32(truncatingIfNeeded: p.count)
        var retransmission = false
        // Same bytes again: another capture point (a sighting), the same record twice (an exact
        // duplicate), or the same sender repeating itself (a retransmission).
        let signatureBit: UInt64 = 1 << (UInt64(hash) & 63)
        let mayRepeat = calls[Int(callIndex)].payloadSignature & signatureBit != 0
        var seenMessage = mayRepeat ? calls[Int(callIndex)].lastMessage : -1
        while seenMessage >= 0 {
            let earlier = messages[Int(seenMessage)]
            defer { seenMessage = earlier.previousInCall }
            guard earlier.payloadHash == hash else { continue }
            guard earlier.payload.length == length,
                  withPayload(of: earlier, { $0.elementsEqual(p) }) else { continue }
            let samePoint = origins[Int(earlier.origin)].capturePoint == origins[Int(origin)].capturePoint
            let delay = m.timestamp.nanoseconds(since: earlier.time)
            if !samePoint, abs(delay) <= configuration.sightingWindow {
                // That capture point's copy of a sighting it already sent: a duplicate of the
                // capture there, as it would be of the first.
                let point = origins[Int(origin)].capturePoint
                if sightingsByMessage[seenMessage]?.contains(where: {
                    origins[Int($0.origin)].capturePoint == point
                        && abs(m.timestamp.nanoseconds(since: $0.time)) < TraceStore.captureDuplicateWindow
                }) == true {
                    countDuplicate(of: seenMessage)
                    return
                }
                sightingsByMessage[seenMessage, default: []].append(
                    Sighting(origin: origin, time: m.timestamp, frame: UInt32(truncatingIfNeeded: m.frameNumber), delay: delay))
                messages[Int(seenMessage)].flags.insert(.multipleSightings)
                counters.sightings += 1
                return
            }
            // The same bytes from the same sender at the same capture point within 10 ms: the
            // capture seeing one packet twice (a SPAN port mirroring both directions of a link),
            // not the sender repeating it, which SIP timers do no sooner than T1 (500 ms).
            if samePoint, abs(delay) < TraceStore.captureDuplicateWindow, earlier.source == source,
               earlier.destination == destination {
                countDuplicate(of: seenMessage)
                return
            }
            // Between other addresses: the message forwarded on another hop (a NAT rewrites
            // addresses, not SIP), not its sender repeating it. An older copy may still be.
            guard earlier.source == source, earlier.destination == destination else { continue }
            if samePoint { retransmission = true }
            break
        }

        let index = Int32(messages.count)
        var record = MessageRecord(
            time: m.timestamp, payload: payloadRef(m, input: payloadInput), source: source,
            destination: destination, call: callIndex, cseq: sip.cseqNumber ?? 0,
            payloadHash: hash, frame: UInt32(truncatingIfNeeded: m.frameNumber), origin: origin,
            status: sip.status ?? 0, transaction: 0, method: sip.method ?? .other, cseqMethod: .other,
            hasCSeq: sip.cseqNumber != nil || sip.cseqMethod != nil, transport: m.transport,
            payloadType: m.payloadType, flags: [])
        if case .request(let method, let methodRange, _) = sip.startLine, method == .other {
            otherMethods[index] = strings.intern(p.slice(methodRange))
        }
        if retransmission { record.flags.insert(.retransmission) }
        record.captureOffset = TraceStore.captureOffset(m)
        if let comment = m.frameComment {
            record.flags.insert(.commented)
            commentsByMessage[index] = strings.intern(comment.text)
        }
        let cseqMethod = digest.cseqMethod
        record.cseqMethod = cseqMethod
        if cseqMethod == .other, let r = sip.cseqMethod { otherCSeqMethods[index] = strings.intern(p.slice(r)) }
        record.transaction = transaction(in: callIndex, sip, branch: digest.branch, cseqMethod: cseqMethod)
        record.previousInCall = calls[Int(callIndex)].lastMessage
        messages.append(record)

        let before = contribution(of: callIndex)
        let arrivedLate = m.timestamp < calls[Int(callIndex)].lastTime
        if m.timestamp < calls[Int(callIndex)].firstTime, calls[Int(callIndex)].messageCount > 0 { callStartsMoved += 1 }
        var users: (UInt32, UInt32)?
        if calls[Int(callIndex)].fromUser == 0, sip.isRequest {
            users = (userPart(sip.from, in: p), userPart(sip.to, in: p))
        }
        update(call: callIndex) { c in
            if c.firstMessage < 0 { c.firstMessage = index }
            c.lastMessage = index
            c.messageCount += 1
            c.payloadSignature |= signatureBit
            if m.timestamp < c.firstTime { c.firstTime = m.timestamp }
            if m.timestamp > c.lastTime { c.lastTime = m.timestamp }
            if retransmission {
                c.retransmissions += 1
            } else {
                c.apply(method: sip.method, status: sip.status ?? 0, cseqMethod: cseqMethod, cseq: sip.cseqNumber ?? 0, at: m.timestamp)
            }
            if !retransmission, sip.method == .invite, digest.hasToTag, let n = sip.cseqNumber, n != c.lastReinviteCSeq {
                c.reinvites += 1
                c.lastReinviteCSeq = n
            }
            if let (from, to) = users {
                c.fromUser = from
                c.toUser = to
            }
        }
        noteDialog(of: Int(callIndex), sip, digest, cseqMethod: cseqMethod)
        // A message older than the call's newest (two capture agents, a reordered file): the
        // state is worked out again in time order, so it does not depend on arrival order.
        if arrivedLate { replayState(of: callIndex) }
        if retransmission { counters.retransmissions += 1 }
        let g = Int(calls[Int(callIndex)].group)
        groups[g].messageCount += 1
        groups[g].touch(m.timestamp)
        groups[g].lastArrival = messages.count
        let after = contribution(of: callIndex)
        if after != before {
            updateStatistics(of: g) { $0.replace(before, with: after) }
        }
        linkLegs(callIndex, sip, p)
    }

    /// The call for (correlation id, Call-ID), created on first sight. sipp reuses Call-IDs
    /// across runs, so the same Call-ID under two correlation ids is two calls.
    /// `hash` is the Call-ID's `ByteHash`.
    private mutating func call(for callID: UInt32, hash: UInt64, correlation: UInt32, time: Timestamp) -> Int32 {
        // Nearly every Call-ID lives under one correlation id: its first call answers without
        // hashing; the dictionary holds them all for the rest.
        let first = Int(callID) < firstCallOfString.count ? firstCallOfString[Int(callID)] : -1
        if first >= 0, calls[Int(first)].hepCorrelation == correlation { return first }
        let key = CallKey(correlation: correlation, callID: callID)
        // A Call-ID that no call has had is in no key: not looked for (a new call comes with
        // one message in seven of a load test, and the lookup is a read far away in memory).
        if first >= 0, let existing = call(withKey: key) { return existing }
        let index = Int32(calls.count)
        let g = correlation != 0 ? hepGroup(correlation) : uncorrelated()
        var c = Call(callID: callID, hepCorrelation: correlation, group: g)
        c.positionInGroup = Int32(groups[Int(g)].calls.count)
        calls.append(c)
        callByKey[key.packed] = Int64(index)
        if Int(callID) >= firstCallOfString.count {
            firstCallOfString.append(contentsOf: repeatElement(-1, count: Int(callID) + 1 - firstCallOfString.count))
        }
        if firstCallOfString[Int(callID)] < 0 { firstCallOfString[Int(callID)] = index }
        groups[Int(g)].calls.append(index)
        updateStatistics(of: Int(g)) { $0.apply(GroupStatistics.Contribution(c), sign: 1) }
        linker.addCall()
        registerCallID(index, hash: hash)
        return index
    }

    /// What a call adds to its group's statistics, from the fields it depends on: this runs twice
    /// per message, and copying the whole call each time showed in profiles. Inlined: called
    /// out of line from a mutating method, it was handed a copy of the whole store each time.
    @inline(__always) func contribution(of call: Int32) -> GroupStatistics.Contribution {
        let i = Int(call)
        return GroupStatistics.Contribution(
            state: calls[i].state, kind: calls[i].kind, finalStatus: calls[i].finalStatus, invite: calls[i].inviteNanos,
            ring: calls[i].ringNanos, answer: calls[i].answerNanos, bye: calls[i].byeNanos)
    }

    /// Changes a group's statistics, keeping the count of their heap bytes for the budget.
    mutating func updateStatistics(of g: Int, _ body: (inout GroupStatistics) -> Void) {
        let before = groups[g].statistics.memoryBytes
        body(&groups[g].statistics)
        statisticsBytes += groups[g].statistics.memoryBytes - before
    }

    mutating func update(call i: Int32, _ body: (inout Call) -> Void) {
        body(&calls[Int(i)])
    }

    /// A copy of message `m` the capture made, counted once (and by message, for a rebuild).
    private mutating func countDuplicate(of m: Int32) {
        counters.exactDuplicates += 1
        duplicatesByMessage[m, default: 0] += 1
    }

    func hepGroupIfAny(_ correlation: UInt32) -> UInt32? { groupByHEPCorrelation[correlation] }

    mutating func hepGroup(_ correlation: UInt32) -> UInt32 {
        if let g = groupByHEPCorrelation[correlation] { return g }
        let g = newGroup(CorrelationGroup(correlationID: correlation, source: .hep))
        groupByHEPCorrelation[correlation] = g
        return g
    }

    mutating func uncorrelated() -> UInt32 {
        if let g = uncorrelatedGroup { return g }
        let g = newGroup(CorrelationGroup(correlationID: 0, source: .none))
        uncorrelatedGroup = g
        return g
    }

    mutating func newGroup(_ group: CorrelationGroup) -> UInt32 {
        groups.append(group)
        return UInt32(groups.count - 1)
    }

    private mutating func payloadRef(_ m: DecodedMessage, input: UInt16) -> PayloadRef {
        let length = UInt32(truncatingIfNeeded: m.payload.count)
        if input != 0, let offset = m.payloadInputOffset {
            return PayloadRef(offset: offset, length: length, source: input)
        }
        return PayloadRef(offset: arena.append(m.payload), length: length, source: 0)
    }

    /// Matches a message to its transaction: top Via branch + CSeq method, where CANCEL and the
    /// ACK of a non-2xx final response belong to the INVITE they refer to.
    private mutating func transaction(in callIndex: Int32, _ sip: SIPMessageIndex, branch: UInt32,
                                      cseqMethod: SIPMethod) -> UInt16 {
        let cseq = sip.cseqNumber ?? 0
        let ci = Int(callIndex)
        let head = calls[ci].lastTransaction, count = Int(calls[ci].transactionCount)
        func find(_ method: SIPMethod) -> (node: Int32, position: Int)? {
            transactionLists.lastNode(from: head, count: count) { $0.branch == branch && $0.method == method && $0.cseq == cseq }
        }
        var found: (node: Int32, position: Int)?
        switch cseqMethod {
        case .cancel:
            found = find(.invite)
        case .ack:
            // The ACK of a 2xx is a transaction of its own; of a non-2xx it ends the INVITE's.
            if let i = find(.invite), transactionLists[i.node].finalStatus >= 300 { found = i } else { found = find(.ack) }
        default:
            found = find(cseqMethod)
        }
        let method: SIPMethod = cseqMethod == .cancel && found != nil ? .invite : cseqMethod
        let node: Int32, position: Int
        if let found {
            (node, position) = found
        } else {
            node = transactionLists.append(Transaction(branch: branch, method: method, cseq: cseq), to: head)
            position = count
            calls[ci].lastTransaction = node
            calls[ci].transactionCount += 1
        }
        if let status = sip.status, status >= 200, cseqMethod == transactionLists[node].method,
           transactionLists[node].finalStatus == 0 {
            transactionLists[node].finalStatus = status
        }
        return UInt16(min(position, Int(UInt16.max)))
    }

    mutating func replayState(of callIndex: Int32) {
        let ci = Int(callIndex)
        var c = calls[ci]
        c.state = .calling
        c.finalStatus = 0
        c.kindKnown = false
        c.inviteTime = nil
        c.ringTime = nil
        c.answerTime = nil
        c.byeTime = nil
        for m in ordered(messages(of: callIndex)) {
            let r = messages[Int(m)]
            guard !r.isRetransmission else { continue }
            c.apply(method: r.status == 0 ? r.method : nil, status: r.status, cseqMethod: r.cseqMethod, cseq: r.cseq, at: r.time)
        }
        calls[ci] = c
    }

    private mutating func userPart(_ header: Range<Int>?, in p: UnsafeRawBufferPointer) -> UInt32 {
        guard let r = header, let user = SIPURI.user(in: p.slice(r)) else { return 0 }
        return strings.intern(p.slice(r).slice(user))
    }

    // MARK: events

    /// Non-SIP HEP payloads join their correlation group, and their call when the correlation id
    /// is a Call-ID (Kamailio hlog() without an id, rtpengine).
    private mutating func addEvent(_ m: DecodedMessage, correlation: UInt32, origin: UInt16, payloadInput: UInt16,
                                   source: UInt32, destination: UInt32) {
        let index = Int32(messages.count)
        var group: UInt32
        var callIndex: Int32 = -1
        // A correlation id that is a call's Call-ID names that call, unless it names a session
        // of other calls too (then it is the session's); the call's own session may be named
        // by it (agents that send the Call-ID as every message's correlation id).
        if correlation != 0, let c = linker.callNamed(TraceStore.tokenHash(.callID, strings, correlation)),
           groupByHEPCorrelation[correlation].map({ groups[Int($0)].calls.isEmpty || $0 == calls[Int(c)].group }) ?? true {
            callIndex = c
            group = calls[Int(c)].group
        } else {
            group = correlation != 0 ? hepGroup(correlation) : uncorrelated()
        }
        let record = MessageRecord(
            time: m.timestamp, payload: payloadRef(m, input: payloadInput), source: source,
            destination: destination, call: -1, cseq: 0, payloadHash: 0,
            frame: UInt32(truncatingIfNeeded: m.frameNumber), origin: origin, status: 0, transaction: 0,
            method: .other, cseqMethod: .other, hasCSeq: false, transport: m.transport,
            payloadType: m.payloadType, flags: [], captureOffset: TraceStore.captureOffset(m))
        messages.append(record)
        if callIndex >= 0 {
            eventsByCall[callIndex, default: []].append(index)
            callByEvent[index] = callIndex
        }
        eventGroups[index] = group
        if correlation != 0 { eventCorrelation[index] = correlation }
        groups[Int(group)].events.append(index)
        groups[Int(group)].messageCount += 1
        groups[Int(group)].touch(m.timestamp)
        groups[Int(group)].lastArrival = messages.count
    }

    static func captureOffset(_ m: DecodedMessage) -> Int32 {
        // Times from the wire can sit at either end of the 64-bit range: no trapping arithmetic.
        let (difference, overflow) = m.timestamp.nanoseconds.subtractingReportingOverflow(m.captureTime.nanoseconds)
        let micros = difference / 1000
        return overflow || micros > Int64(Int32.max) || micros <= Int64(Int32.min) ? Int32.min : Int32(micros)
    }
}

extension TraceStore {
    /// Dialogs are created by 101-299 responses to INVITE that carry a To tag (RFC 3261 §12.1):
    /// a forked INVITE gives one per answering branch.
    mutating func noteDialog(of callIndex: Int, _ sip: SIPMessageIndex, _ digest: MessageDigest, cseqMethod: SIPMethod) {
        guard let status = sip.status, status > 100, status < 300, cseqMethod == .invite, digest.hasToTag else { return }
        let d = Dialog(fromTag: digest.fromTag, toTag: digest.toTag)
        let head = calls[callIndex].lastDialog
        guard dialogLists.lastNode(from: head, count: Int(calls[callIndex].dialogCount), where: { $0 == d }) == nil else { return }
        calls[callIndex].lastDialog = dialogLists.append(d, to: head)
        calls[callIndex].dialogCount += 1
    }
}

extension TraceStore {
    /// Adds a batch handed over by a decoding thread. `input` is the id from `addInput` of the
    /// file the batch's payload offsets refer to (0: keep copies of the payloads).
    /// `payloadInput`: where the batch's own bytes were also written (`MessageBatch.bytesInInput`),
    /// when not in `input` (a live session's spool file, not a capture).
    public mutating func add(_ batch: MessageBatch, input: UInt16 = 0, payloadInput: UInt16? = nil) {
        if input != 0, let source = self.input(input) {
            // Batches may reference payloads in the mapped input instead of carrying copies.
            source.withBytes { bytes in add(batch, input: input, payloadInput: payloadInput ?? input, bytes: bytes) }
        } else {
            add(batch, input: input, payloadInput: payloadInput ?? input, bytes: nil)
        }
    }

    private mutating func add(_ batch: MessageBatch, input: UInt16, payloadInput: UInt16, bytes: UnsafeRawBufferPointer?) {
        // Call-IDs and endpoints first, all of them, in a loop that does nothing else: each
        // lookup is a few reads at random places in memory, and with no other work between
        // them the processor has several under way at once. One message at a time, each lookup
        // would wait on its own.
        var resolved: [Resolved] = []
        resolved.reserveCapacity(batch.count)
        batch.forEachKey(input: bytes) { callID, hash, source, destination in
            resolved.append(Resolved(callID: callID.map { strings.intern($0, byteHash: hash) },
                                     source: endpoints.id(source), destination: endpoints.id(destination)))
        }
        var i = 0
        batch.forEachWithInterface(input: bytes) { m, interface in
            add(m, input: input, payloadInput: payloadInput, interface: interface, resolved: resolved[i])
            i += 1
        }
        countAdds(batch.count)
    }
}
