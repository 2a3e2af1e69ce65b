import TraceModel
import TraceOutput
import WireDecoding

/// What a ladder screen draws: endpoint columns and one row per message or HEP event, built on
/// LadderLayout (the geometry the text ladder of `print --ladder` uses too).
public struct Ladder: Sendable {
    public struct Row: Sendable {
        public var message: Int32
        public var time: Timestamp
        public var from: Int
        public var to: Int
        public var label: String
        public var cseq: String
        public var labelRole: ColorRole
        public var call: Int32
        public var transaction: Int
        public var isEvent: Bool
        public var isRetransmission: Bool
    }

    /// Column titles: "127.0.0.1:5060", or the host alone when ports are merged.
    public var columns: [String]
    /// With merged ports: the ports each host column stands for (":5060 :5070").
    public var aliases: [String]
    public var rows: [Row]
    /// Calls in order of first appearance, for colours per call.
    public var callOrdinal: [Int32: Int]
    /// Messages left out past the limit.
    public var omitted: Int
    /// Characters of the longest CSeq drawn (worked out once, not at every frame).
    public var longestCSeq: Int

    /// `filter`: for a session's ladder, its calls and events the filter shows (the calls of a
    /// call's ladder are chosen already).
    public init(store s: TraceStore, scope: LadderScope, mergePorts: Bool, limit: Int, filter: TraceFilter? = nil) {
        var sip: [Int32] = []
        var events: [Int32] = []
        switch scope {
        case .calls(let calls):
            for c in calls where Int(c) < s.calls.count {
                sip += s.messages(of: c)
                events += s.events(of: c)
            }
        case .group(let g):
            if g < s.groups.count {
                for c in s.groups[g].calls where filter?.matches(call: c, in: s) ?? true { sip += s.messages(of: c) }
                events = s.groups[g].events.filter { filter?.matches(message: $0, in: s) ?? true }
            }
        }
        var all = s.ordered(sip + events)
        omitted = max(0, all.count - limit)
        if omitted > 0 { all = Array(all.prefix(limit)) }
        let eventSet = Set(events)
        let layout = LadderLayout(store: s, messages: all.filter { !eventSet.contains($0) })

        // Columns, optionally one per host.
        var columnMap = Array(layout.columns.indices)
        if mergePorts {
            var hosts: [IPAddress] = []
            var ports: [[UInt16]] = []
            for (i, e) in layout.columns.enumerated() {
                if let h = hosts.firstIndex(of: e.address) {
                    columnMap[i] = h
                    if !ports[h].contains(e.port) { ports[h].append(e.port) }
                } else {
                    hosts.append(e.address)
                    ports.append([e.port])
                    columnMap[i] = hosts.count - 1
                }
            }
            columns = hosts.map { $0.isV6 ? "[\($0.description)]" : $0.description }
            aliases = ports.map { $0.map { ":\($0)" }.joined(separator: " ") }
        } else {
            columns = layout.columns.map(\.description)
            aliases = []
        }

        var ordinal: [Int32: Int] = [:]
        var rows: [Row] = []
        rows.reserveCapacity(all.count)
        var layoutRows = layout.rows[...]
        for m in all {
            let r = s.messages[Int(m)]
            if eventSet.contains(m) {
                let text = s.withPayload(of: r) { p -> String in
                    var end = 0
                    while end < p.count, end < 200, p[end] != 10, p[end] != 13 { end += 1 }
                    return SafeText.line(p.slice(0..<end))
                }
                rows.append(Row(message: m, time: r.time, from: 0, to: 0,
                                label: HEPPayloadType.name(r.payloadType) + ": " + text, cseq: "",
                                labelRole: .event, call: -1, transaction: 0, isEvent: true, isRetransmission: false))
                continue
            }
            guard let lr = layoutRows.first, lr.message == m else { continue }
            layoutRows = layoutRows.dropFirst()
            if ordinal[r.call] == nil { ordinal[r.call] = ordinal.count }
            var label = lr.label
            if mergePorts, columnMap[lr.from] == columnMap[lr.to], lr.from != lr.to {
                // Between two ports of one host: the ports say which way it went.
                label = ":\(layout.columns[lr.from].port)\u{2192}:\(layout.columns[lr.to].port) " + label
            }
            rows.append(Row(message: m, time: r.time, from: columnMap[lr.from], to: columnMap[lr.to], label: label,
                            cseq: s.cseqText(m).map { SafeText.line($0) } ?? "",
                            labelRole: ColorRole.sip(status: r.status), call: r.call,
                            transaction: Int(r.transaction), isEvent: false, isRetransmission: r.isRetransmission))
        }
        self.rows = rows
        longestCSeq = rows.lazy.map { $0.cseq.count }.max() ?? 0
        callOrdinal = ordinal
    }
}
