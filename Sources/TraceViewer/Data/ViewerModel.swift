#if canImport(Glibc)
import Glibc
#endif
import CaptureIngest
import TraceModel
import TraceOutput
import WireDecoding

/// A call list row: the call, and for a linked leg nested under its A-leg, why it is linked.
public struct CallRow: Sendable, Equatable {
    public var call: Int32
    public var depth: Int
    public var linkReason: String?
}

/// The session the viewer shows, with the derived lists screens need (ordered and filtered
/// groups and calls, ladders, highlighted messages) cached until new data or another filter
/// makes them stale. Owned by the UI thread, like the session inside it.
public final class ViewerModel {
    public private(set) var session: TraceSession
    /// Goes up whenever the model takes in data.
    public private(set) var version = 0
    /// Wall-clock seconds, for live rates and for pacing recomputation of very long lists.
    public var clock: () -> Double = ViewerModel.monotonicSeconds

    public var store: TraceStore { session.store }
    /// Times the memory budget rebuilt the store without evicted groups; when it changes,
    /// indices into the store held by screens have moved (see `follow`).
    public private(set) var evictions = 0
    /// Calls and messages the open screens stand on, as `follow` was last told, each with a
    /// message of its own and that message's time and payload hash (to be sure it is the same
    /// message afterwards); and the groups they stand on.
    public private(set) var followed: [(anchor: ScreenAnchor, message: Int32, time: Int64, hash: UInt32)] = []
    public private(set) var followedGroups: [Int] = []

    public init(session: TraceSession) {
        self.session = session
    }

    /// The save dialog's count for its choice, kept while the data and the choice stay.
    private var savedCount: (scope: SaveScope, filter: String?, version: Int, count: Int)?

    /// How many messages saving `scope` would write (see `SaveScope.messageCount`).
    func messageCount(of scope: SaveScope, filter: TraceFilter?) -> Int {
        if let c = savedCount, c.version == version, c.scope == scope, c.filter == filter?.expression { return c.count }
        let n = scope.messageCount(self, filter: filter)
        savedCount = (scope, filter?.expression, version, n)
        return n
    }

    /// Folds events from the ingest queue in; true when anything changed.
    @discardableResult
    public func ingest(_ events: [IngestEvent]) -> Bool {
        guard session.apply(events) else { return false }
        dataChanged()
        return true
    }

    /// Adopts an eviction rebuilt aside once it is ready, and adds a few of the batches held
    /// back meanwhile; true when anything changed.
    @discardableResult
    public func advance() -> Bool {
        guard session.hasHeldWork, session.advance(batches: 4) else { return false }
        dataChanged()
        return true
    }

    /// Batches wait for an eviction being rebuilt aside, or to be added after it.
    public var hasHeldWork: Bool { session.hasHeldWork }
    /// An eviction is being rebuilt aside: `advance` has nothing to do until `wake` is called.
    public var isEvictingAside: Bool { session.isEvictingAside }
    /// Enough is held back while an eviction is rebuilt: more waits in the ingest queue.
    public var holdsEnough: Bool { session.holdsEnough }

    /// `wake` runs, on another thread, when an eviction rebuilt aside can be adopted.
    public func wakeWhenEvictionReady(_ wake: @escaping @Sendable () -> Void) {
        session.evictionReady = wake
    }

    private func dataChanged() {
        version += 1
        if store.counters.evictions != evictions {
            // The store was rebuilt without the evicted groups: every index may have moved.
            evictions = store.counters.evictions
            // Lists of calls and ladders name them by number: a stale one is never shown after
            // this, even a long one that would otherwise be kept for a moment (`keepsStaleList`).
            callCache = nil
            ladderCache = nil
            messageCache.removeAll()
            // Groups are renumbered: a session kept takes its samples along (found by name:
            // its message count goes on, dropped calls included); another starts from what it
            // holds now (from nothing, it would seem to have received all of it this instant).
            let now = clock()
            var byName: [String: [(time: Double, count: Int)]] = [:]
            for (g, name) in rateNames { byName[name] = rateSamples[g] }
            rateSamples.removeAll()
            rateNames.removeAll()
            for g in store.groups.indices where !store.groups[g].retired {
                let name = groupName(g)
                rateNames[g] = name
                rateSamples[g] = byName[name] ?? [(now, store.groups[g].sessionMessageCount)]
            }
        }
        sampleRates()
    }

    /// Tells the model which groups, calls and messages the screens stand on: groups by
    /// number, calls and messages each by one of its messages; an eviction renumbers them (or
    /// marks them dropped) as it rebuilds the store.
    public func follow(_ anchors: [ScreenAnchor]) {
        let s = store
        followedGroups = anchors.compactMap { if case .group(let g) = $0 { g } else { nil } }
        followed = anchors.compactMap { anchor in
            guard let m = anchor.message(in: s) else { return nil }
            let r = s.messages[Int(m)]
            return (anchor, m, r.time.nanoseconds, r.payloadHash)
        }
        session.store.followedMessages = followed.map(\.message)
        session.store.followedGroups = followedGroups
    }

    /// Where the followed groups, calls and messages are after the evictions since `follow`:
    /// old number to new, absent when dropped.
    public func renumbering() -> ScreenRenumbering {
        let s = store
        var map = ScreenRenumbering()
        for (g, now) in zip(followedGroups, s.followedGroups) where now >= 0 && now < s.groups.count { map.groups[g] = now }
        for (f, now) in zip(followed, s.followedMessages) where now >= 0 && Int(now) < s.messages.count {
            let r = s.messages[Int(now)]
            // The rebuild keeps order, so this holds; checked all the same, as a wrong screen
            // is worse than going back to the sessions.
            guard r.time.nanoseconds == f.time, r.payloadHash == f.hash else { continue }
            switch f.anchor {
            case .group: break
            case .call(let c): if r.call >= 0 { map.calls[c] = r.call }
            case .message(let m): map.messages[m] = now
            }
        }
        return map
    }

    /// Registers a source (a file, a replay or a network listener) before its producer starts.
    public func addSource(name: String, kind: TraceSession.Source.Kind) -> Int {
        session.addSource(name: name, kind: kind)
    }

    /// A source's name once it is known better (a listener on port 0 and the port it got).
    public func renameSource(_ source: Int, to name: String) {
        session.renameSource(source, to: name)
    }

    /// Some source may still deliver data.
    public var isLive: Bool { session.sources.contains { !$0.finished } }

    // MARK: live rates

    private var rateSamples: [Int: [(time: Double, count: Int)]] = [:]
    /// Each sampled group's name, to find its samples again after an eviction renumbers groups.
    private var rateNames: [Int: String] = [:]
    static let rateWindow = 5.0

    /// Records each group's message count now; rates are taken over the last few seconds.
    public func sampleRates() {
        let now = clock()
        for g in store.groups.indices where !store.groups[g].retired {
            // A session first seen now had none a moment ago: its first messages count.
            if rateSamples[g] == nil { rateNames[g] = groupName(g) }
            var s = rateSamples[g] ?? [(now, 0)]
            // Samples closer than a quarter of a second: the newest is brought up to date,
            // unless it is the first (a burst would then count for nothing).
            if s.count > 1, let last = s.last, now - last.time < 0.25 {
                s[s.count - 1].count = store.groups[g].sessionMessageCount
            } else {
                s.append((now, store.groups[g].sessionMessageCount))
            }
            while s.count > 2, now - s[1].time >= ViewerModel.rateWindow { s.removeFirst() }
            rateSamples[g] = s
        }
    }

    /// Messages per second arriving now, for a session fed live (a listener, a pipe) while a
    /// source is live; nil otherwise (a capture file's session, though a listener runs beside
    /// it, keeps its average: a rate that fell to nothing once the file was read would say
    /// nothing of it).
    public func liveRate(group g: Int) -> Double? {
        guard isLive, fedLive(g), let s = rateSamples[g], let first = s.first, let last = s.last else { return nil }
        let span = max(clock() - first.time, 1)
        return Double(last.count - first.count) / span
    }

    /// Messages and events received live (listeners, pipes), not read from capture files:
    /// what is gone when the viewer ends, unless recorded.
    public var receivedLive: Int {
        store.messages.reduce(0) { $0 + (isReceivedLive($1) ? 1 : 0) }
    }

    /// Whether the group's latest message was received live.
    private func fedLive(_ g: Int) -> Bool {
        let last = store.groups[g].lastArrival - 1
        guard last >= 0, last < store.messages.count else { return false }
        return isReceivedLive(store.messages[last])
    }

    /// From a listener or a pipe, not read from a mapped capture file (input 0 is no file).
    private func isReceivedLive(_ r: MessageRecord) -> Bool { store.origin(of: r).input == 0 }

    // MARK: groups

    private var groupCache: (version: Int, filter: String?, rows: [Int], figures: [Int: GroupFigures])?

    /// Correlation groups in order of first message, the uncorrelated bucket last; with a
    /// filter, only groups with a matching call or event.
    public func groupRows(filter: TraceFilter?) -> [Int] {
        if let c = groupCache, c.version == version, c.filter == filter?.expression { return c.rows }
        let s = store
        var rows = s.orderedGroups
        let bucket = rows.filter { s.groups[$0].source == .none }
        rows.removeAll { s.groups[$0].source == .none }
        rows += bucket
        var figures: [Int: GroupFigures] = [:]
        if let filter {
            rows = rows.filter { g in
                let calls = s.groups[g].calls.filter { filter.matches(call: $0, in: s) }
                let events = s.groups[g].events.filter { filter.matches(message: $0, in: s) }
                guard !calls.isEmpty || !events.isEmpty else { return false }
                let messages = calls.reduce(0) { $0 + Int(s.calls[Int($1)].messageCount) }
                let span = s.span(calls: calls, events: events)
                figures[g] = GroupFigures(statistics: GroupStatistics(calls: calls, in: s), messages: messages,
                                          shown: (span, TraceStore.rate(messages + events.count, over: span)))
                return true
            }
        }
        groupCache = (version, filter?.expression, rows, figures)
        return rows
    }

    /// A session's figures as the sessions screen shows them: those of the calls (and
    /// events) the filter shows, or with no filter the whole session's (calls the memory
    /// budget dropped included).
    public struct GroupFigures {
        public var statistics: GroupStatistics
        /// SIP messages, as `print --summary` counts them (HEP events apart).
        public var messages: Int
        /// With a filter: from the first message shown to the last, and messages a second over
        /// that span. Nil without one (the whole session's, worked out for the rows on screen).
        public var shown: (span: (first: Timestamp, last: Timestamp), rate: Double?)?
    }

    public func groupFigures(_ g: Int, filter: TraceFilter?) -> GroupFigures {
        let group = store.groups[g]
        guard filter != nil else {
            return GroupFigures(statistics: group.statistics, messages: group.sessionMessageCount - group.events.count)
        }
        _ = groupRows(filter: filter)  // works the figures out, when the data or the filter changed
        return groupCache?.figures[g] ?? GroupFigures(statistics: GroupStatistics(), messages: 0)
    }

    /// "tb-20261127T015517Z-udp-a", or "(uncorrelated)".
    public func groupName(_ g: Int) -> String {
        guard g < store.groups.count else { return "?" }
        return store.correlationID(of: store.groups[g]).map { SafeText.line($0) } ?? "(uncorrelated)"
    }

    // MARK: calls

    private struct CallKey: Equatable {
        var scope: CallsScope, sort: CallSort, descending: Bool, filter: String?
    }
    private var callCache: (version: Int, key: CallKey, rows: [CallRow], time: Double, cost: Double, basis: ListBasis)?

    /// Times a list of calls took new calls at its end rather than being worked out anew.
    private(set) var listsExtended = 0

    /// What a list of calls was worked out from, to tell when new data only added calls to its end.
    private struct ListBasis: Equatable {
        var calls: Int
        var callsInScope: Int
        var links: Int
        var retiredGroups: Int
        var startsMoved: Int
        var evictions: Int
    }

    private func basis(_ scope: CallsScope) -> ListBasis {
        let s = store
        let inScope: Int
        switch scope {
        case .all: inScope = s.calls.count
        case .group(let g): inScope = g < s.groups.count ? s.groups[g].calls.count : 0
        }
        return ListBasis(calls: s.calls.count, callsInScope: inScope, links: s.linkedCalls.count,
                         retiredGroups: s.retiredGroupCount,
                         startsMoved: s.callStartsMoved, evictions: s.counters.evictions)
    }
    /// Past this many rows, a list stale by new data is recomputed at most twice a second, and
    /// no more than a fifth of the time: a million calls take a few hundred milliseconds to
    /// list, and a list redone twice a second would leave the load little time to go on.
    static let largeList = 20_000
    static let staleListSeconds = 0.5
    static let listShareOfTime = 5.0

    /// Whether a list of `rows` calls, worked out `age` seconds ago in `cost` seconds, is still
    /// shown although new data arrived since.
    static func keepsStaleList(rows: Int, age: Double, cost: Double) -> Bool {
        rows > largeList && age < max(staleListSeconds, listShareOfTime * cost)
    }

    public func callRows(scope: CallsScope, sort: CallSort, descending: Bool, filter: TraceFilter?) -> [CallRow] {
        let key = CallKey(scope: scope, sort: sort, descending: descending, filter: filter?.expression)
        if var c = callCache, c.key == key {
            if c.version == version { return c.rows }
            // Calls in start order while a capture loads: the new ones usually just go on the end,
            // of a list held here only (else each addition would copy the whole list).
            callCache = nil
            let now = basis(scope)
            if extend(&c.rows, scope: scope, sort: sort, descending: descending, filter: filter, from: c.basis, to: now) {
                (c.version, c.time, c.basis) = (version, clock(), now)
                callCache = c
                return c.rows
            }
            callCache = c
            if ViewerModel.keepsStaleList(rows: c.rows.count, age: clock() - c.time, cost: c.cost) { return c.rows }
        }
        let start = clock()
        let listed = basis(scope)
        let rows = computeCallRows(scope: scope, sort: sort, descending: descending, filter: filter)
        let end = clock()
        callCache = (version, key, rows, end, end - start, listed)
        return rows
    }

    /// Adds to `rows`, a list of calls in start order without a filter or links, the calls new
    /// since `old`, when they all start no earlier than the list's last call (its first, in
    /// descending order) and nothing else moved: what a loading capture in time order gives.
    /// False (and `rows` untouched) when the list has to be worked out again.
    private func extend(_ rows: inout [CallRow], scope: CallsScope, sort: CallSort, descending: Bool,
                        filter: TraceFilter?, from old: ListBasis, to now: ListBasis) -> Bool {
        guard sort == .start, filter == nil, now.links == 0, old.links == 0, now.retiredGroups == 0, old.retiredGroups == 0,
              now.startsMoved == old.startsMoved, now.evictions == old.evictions, now.callsInScope >= old.callsInScope,
              now.calls >= old.calls else { return false }
        if now.callsInScope == old.callsInScope { return true }
        let s = store
        let added: [Int32]
        switch scope {
        case .all: added = Array(Int32(old.calls)..<Int32(now.calls))
        case .group(let g): added = Array(s.groups[g].calls[old.callsInScope...])
        }
        let sorted = sortCalls(added, by: .start, descending: false)
        func start(_ call: Int32) -> Int64 { s.calls[Int(call)].firstTime.nanoseconds }
        // Ties in start order fall back to the call's index; new calls have higher ones.
        let edge = descending ? rows.first : rows.last
        if let edge, let first = sorted.first,
           (start(first), first) < (start(edge.call), edge.call) { return false }
        let newRows = sorted.map { CallRow(call: $0, depth: 0, linkReason: nil) }
        if descending { rows.insert(contentsOf: newRows.reversed(), at: 0) } else { rows += newRows }
        listsExtended += 1
        return true
    }

    private func computeCallRows(scope: CallsScope, sort: CallSort, descending: Bool, filter: TraceFilter?) -> [CallRow] {
        let s = store
        var calls: [Int32]
        switch scope {
        case .group(let g):
            calls = g < s.groups.count ? s.groups[g].calls : []
        case .all:
            calls = Array(0..<Int32(s.calls.count))
            // Calls of a retired group (merged into another) are listed there; most captures
            // have none, and then no call needs a look.
            if s.groups.contains(where: \.retired) {
                calls = calls.filter { !s.groups[Int(s.calls[Int($0)].group)].retired }
            }
        }
        if let filter { calls = calls.filter { filter.matches(call: $0, in: s) } }
        // Without links every call is a root: a million calls need no set or table lookups.
        if s.linkedCalls.isEmpty {
            return sortCalls(calls, by: sort, descending: descending).map { CallRow(call: $0, depth: 0, linkReason: nil) }
        }
        // Only linked calls need a look: walking the few in the link table beats asking each call.
        var listed = [Bool](repeating: false, count: s.calls.count)
        for c in calls { listed[Int(c)] = true }
        let inList = Set(s.linkedCalls.filter { Int($0) < listed.count && listed[Int($0)] && !s.links(of: $0).isEmpty })
        // Linked legs: each leg hangs under the earliest call of its linked set (the A-leg).
        var root: [Int32: Int32] = [:]
        var reason: [Int32: String] = [:]
        for c in inList where root[c] == nil {
            var component: [Int32] = [c]
            var seen: Set<Int32> = [c]
            var i = 0
            while i < component.count {
                for link in s.links(of: component[i]) where !seen.contains(link.other) && inList.contains(link.other) {
                    seen.insert(link.other)
                    component.append(link.other)
                }
                i += 1
            }
            let a = component.min { (s.calls[Int($0)].firstTime, $0) < (s.calls[Int($1)].firstTime, $1) }!
            for m in component {
                root[m] = a
                if m != a, let link = s.links(of: m).first { reason[m] = link.reason.name(s.strings) }
            }
        }
        let roots = calls.filter { root[$0] == nil || root[$0] == $0 }
        let sortedRoots = sortCalls(roots, by: sort, descending: descending)
        var children: [Int32: [Int32]] = [:]
        for c in calls where root[c] != nil && root[c] != c { children[root[c]!, default: []].append(c) }
        var rows: [CallRow] = []
        rows.reserveCapacity(calls.count)
        for r in sortedRoots {
            rows.append(CallRow(call: r, depth: 0, linkReason: nil))
            if let kids = children[r] {
                for k in sortCalls(kids, by: .start, descending: false) {
                    rows.append(CallRow(call: k, depth: 1, linkReason: reason[k]))
                }
            }
        }
        return rows
    }

    /// Calls in the order of a column (see `CallOrdering`).
    private func sortCalls(_ calls: [Int32], by sort: CallSort, descending: Bool) -> [Int32] {
        ordering.sorted(calls, by: sort, descending: descending, store: store, version: version)
    }
    private var ordering = CallOrdering()

    // MARK: ladders

    private var ladderCache: (version: Int, scope: LadderScope, merge: Bool, filter: String?, ladder: Ladder,
                              time: Double, cost: Double)?
    /// A ladder of a whole group stops here (the first messages by time); a call list is the
    /// way into the rest.
    public static let ladderLimit = 50_000

    /// The ladder of `scope` as `state` draws it: its port merging, and its filter.
    func ladder(_ scope: LadderScope, as state: ViewerState) -> Ladder {
        ladder(scope, mergePorts: state.options.mergePorts, filter: state.filter)
    }

    /// The ladder of `scope`; a whole session's shows only what `filter` lets through.
    public func ladder(_ scope: LadderScope, mergePorts: Bool, filter: TraceFilter?) -> Ladder {
        let shown = filter?.expression
        if let c = ladderCache, c.scope == scope, c.merge == mergePorts, c.filter == shown {
            // A whole session's ladder of tens of thousands of arrows is drawn again at the pace
            // of a long call list, not at every batch: the load must go on meanwhile.
            if c.version == version || ViewerModel.keepsStaleList(rows: c.ladder.rows.count, age: clock() - c.time, cost: c.cost) {
                return c.ladder
            }
        }
        let start = clock()
        let l = Ladder(store: store, scope: scope, mergePorts: mergePorts, limit: ViewerModel.ladderLimit, filter: filter)
        let end = clock()
        ladderCache = (version, scope, mergePorts, shown, l, end, end - start)
        return l
    }

    // MARK: messages

    private struct MessageKey: Hashable {
        var message: Int32
        var captureTime: Bool
    }
    private var messageCache: [MessageKey: MessageText] = [:]
    private var messageCacheGlyphs: Glyphs?

    /// A message as the detail screens show it. `captureTime` reads the frame's capture time
    /// back from the file, a walk through the capture up to that frame: worth it for the full
    /// message screen, not for the preview that follows every cursor move on a ladder.
    public func messageText(_ m: Int32, glyphs: Glyphs, captureTime: Bool = true) -> MessageText {
        if messageCacheGlyphs != glyphs { messageCache.removeAll(); messageCacheGlyphs = glyphs }
        let key = MessageKey(message: m, captureTime: captureTime)
        if let t = messageCache[key] { return t }
        let t = MessageText(store: store, message: m, captureTime: captureTime ? self.captureTime(of: m) : nil,
                            glyphs: glyphs, captureTimeRead: captureTime)
        if messageCache.count > 64 { messageCache.removeAll() }
        messageCache[key] = t
        return t
    }

    /// A message's lines as the message screen draws them: wrapped to the screen's width, or
    /// whole when the viewer cuts long lines (`W`). Cursor, search and scrolling count these.
    public func messageLines(_ m: Int32, _ state: ViewerState) -> [StyledLine] { wrappedMessage(m, state).lines }

    /// What `/` searches on each of `messageLines`' rows: a line's whole text on its first row
    /// and nothing on the rows it wraps onto, so that a match across the wrap is found, lands
    /// on the line's first row, and the continuation mark is never matched.
    func messageSearchTexts(_ m: Int32, _ state: ViewerState) -> [String] { wrappedMessage(m, state).searchTexts }

    /// The row each of the message's lines starts on, as `messageLines` wraps them.
    func messageLineStarts(_ m: Int32, _ state: ViewerState) -> [Int] { wrappedMessage(m, state).starts }

    private struct WrapKey: Equatable {
        var message: Int32, width: Int, wrap: Bool, glyphs: Glyphs, evictions: Int
    }
    /// The message on screen, wrapped: asked for at every key and frame, worked out once (a
    /// long log event is tens of thousands of characters, each measured).
    private var wrapCache: (key: WrapKey, wrapped: WrappedMessage)?

    private struct WrappedMessage {
        var lines: [StyledLine] = []
        var searchTexts: [String] = []
        var starts: [Int] = []
    }

    private func wrappedMessage(_ m: Int32, _ state: ViewerState) -> WrappedMessage {
        let key = WrapKey(message: m, width: Update.textRoom(state), wrap: state.options.wrapLines,
                          glyphs: state.options.glyphs, evictions: evictions)
        if let c = wrapCache, c.key == key { return c.wrapped }
        var w = WrappedMessage()
        for line in messageText(m, glyphs: state.options.glyphs).lines {
            let rows = key.wrap ? line.wrapped(width: key.width, mark: key.glyphs.continuation) : [line]
            w.starts.append(w.lines.count)
            w.lines += rows
            w.searchTexts.append(line.text)
            w.searchTexts += Array(repeating: "", count: rows.count - 1)
        }
        wrapCache = (key, w)
        return w
    }

    /// The capture (pcap record or receive) time of a message, kept by the model next to the
    /// HEP time.
    private func captureTime(of m: Int32) -> Timestamp? {
        store.captureTime(of: m)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
