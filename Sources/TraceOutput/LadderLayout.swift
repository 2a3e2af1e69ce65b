import TraceModel
import WireDecoding

/// The geometry of a ladder diagram, independent of how it is drawn: one column per endpoint in
/// order of first appearance, one row per message. The text printer and the terminal UI both
/// draw from this.
public struct LadderLayout: Sendable {
    public struct Row: Sendable {
        public var message: Int32
        public var time: Timestamp
        public var from: Int
        public var to: Int
        public var label: String
    }

    public var columns: [Endpoint]
    public var rows: [Row]

    public init(store: TraceStore, messages: [Int32]) {
        var columns: [Endpoint] = []
        var columnOf: [UInt32: Int] = [:]
        func column(_ id: UInt32) -> Int {
            if let c = columnOf[id] { return c }
            columns.append(store.endpoints[id])
            columnOf[id] = columns.count - 1
            return columns.count - 1
        }
        var rows: [Row] = []
        for m in store.ordered(messages) {
            let r = store.messages[Int(m)]
            let from = column(r.source), to = column(r.destination)
            rows.append(Row(message: m, time: r.time, from: from, to: to, label: store.label(ofMessage: m)))
        }
        self.columns = columns
        self.rows = rows
    }
}

extension TraceStore {
    /// "INVITE", "486 Busy Here", or the event type: what an arrow is labelled with.
    public func label(ofMessage index: Int32) -> String {
        let r = messages[Int(index)]
        if r.call < 0 { return HEPPayloadType.name(r.payloadType) }
        if let method = methodName(index) { return SafeText.line(method) }
        return withPayload(of: r) { p in
            // The status line's reason phrase, up to the line end.
            var end = 0
            while end < p.count, end < 80, p[end] != 13, p[end] != 10 { end += 1 }
            let line = p.count >= 12 ? SafeText.line(p.slice(8..<end)) : String(r.status)
            return line.isEmpty ? String(r.status) : line
        }
    }
}
