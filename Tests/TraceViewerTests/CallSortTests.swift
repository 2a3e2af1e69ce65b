@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
@testable import TraceViewer
import WireDecoding

/// Every column of the call list, both ways, on real captures: the rows are the calls, each
/// once, and every neighbouring pair is in the column's order, read from the model here
/// independently, with ties in start order.
@Suite struct CallSortTests {
    /// The column's value of a call, as something comparable; -1/"" where the column is empty.
    enum Value: Comparable, Hashable {
        case number(Int64)
        case bytes([UInt8])

        static func < (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.number(let x), .number(let y)): x < y
            case (.bytes(let x), .bytes(let y)): x.lexicographicallyPrecedes(y)
            default: false
            }
        }
    }

    /// A figure the call does not have (no PDD, no duration): listed after every known one,
    /// whichever way the sort goes.
    static let unknown = Value.number(.min)

    static func value(_ column: CallSort, _ call: Int32, in s: TraceStore) -> Value {
        let c = s.calls[Int(call)]
        func text(_ id: UInt32) -> Value { .bytes(id == 0 ? [] : Array(s.strings.string(id).utf8)) }
        switch column {
        case .start: return .number(c.firstTime.nanoseconds)
        case .from: return text(c.fromUser)
        case .to: return text(c.toUser)
        case .callID: return text(c.callID)
        case .method: return .bytes(Array(c.kind.name.utf8))
        case .messages: return .number(Int64(c.messageCount))
        case .state: return .number(Int64(c.state.rawValue))
        case .pdd: return c.postDialDelay.map { .number($0) } ?? Self.unknown
        case .duration: return c.duration.map { .number($0) } ?? Self.unknown
        case .source:
            // By address (IPv4 first), then port: big-endian bytes compare in that order.
            guard c.firstMessage >= 0 else { return .bytes([]) }
            let e = s.endpoints[s.messages[Int(c.firstMessage)].source]
            func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
            switch e.address {
            case .v4(let a): return .bytes([0] + be(a) + be(e.port))
            case .v6(let h, let l): return .bytes([1] + be(h) + be(l) + be(e.port))
            }
        }
    }

    @Test func everyColumnBothWays() {
        let pilot = Pilot(paths: ["hep-kamailio-udp.pcap", "sip-plain-udp.pcap", "sip-plain-tcp.pcap"]
            .map { Fixtures.kamailio($0).path })
        for column in CallSort.allCases {
            for descending in [false, true] { check(pilot.model, column, descending) }
        }
    }

    /// Sessions whose legs were linked into one group (X-CID, Session-ID, ICID, out of order): the
    /// top-level rows of each group follow the column too.
    @Test func linkedSessionsEveryColumnBothWays() throws {
        let paths = try Scenarios.all().filter { !$0.links.isEmpty }.map { try Scenarios.write($0).path }
        let pilot = Pilot(paths: paths)
        let s = pilot.model.store
        #expect(!s.orderedGroups.isEmpty)
        for g in s.orderedGroups {
            for column in CallSort.allCases {
                for descending in [false, true] {
                    let rows = pilot.model.callRows(scope: .group(g), sort: column, descending: descending, filter: nil)
                    #expect(rows.map(\.call).sorted() == s.groups[g].calls.sorted())
                    checkOrder(rows.filter { $0.depth == 0 }, s, column, descending)
                }
            }
        }
    }

    /// A load test's list, long enough that what one sort works out is kept for the next
    /// (`CallOrdering`): every column both ways, one after another, then a filter on a sorted
    /// list, then new data, each in order as if worked out alone.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bigCaptureTool.path), "../shared/tools/gen-big-capture.py is absent"))
    func sortsOfALongListOneAfterAnotherStayInOrder() throws {
        let folder = try BigSessionTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = try BigSessionTests.generated(in: folder, dialogs: CallOrdering.keptListSize + 1500, correlationIDs: 2)
        let pilot = Pilot(paths: [capture.path])
        let model = pilot.model
        #expect(model.store.calls.count > CallOrdering.keptListSize)
        for column in CallSort.allCases + [.from, .source, .callID] {
            for descending in [false, true, false] { checkAll(model, column, descending) }
        }

        // Filtering a sorted list keeps its order: the filtered list is the sorted one, thinned.
        // The second filter leaves a list long enough for its start order to be kept, in place
        // of the whole list's: the two must not be taken for each other.
        for expression in ["to:1", "not to:12"] {
            let filter = try TraceFilter.parse(expression)
            for column in [CallSort.callID, .source, .start] {
                let all = model.callRows(scope: .all, sort: column, descending: true, filter: nil)
                let filtered = model.callRows(scope: .all, sort: column, descending: true, filter: filter)
                #expect(!filtered.isEmpty && filtered.count < all.count)
                #expect(filtered.map(\.call) == all.map(\.call).filter { filter.matches(call: $0, in: model.store) },
                        "\(expression), \(column)")
            }
        }
        let long = model.callRows(scope: .all, sort: .start, descending: false, filter: try TraceFilter.parse("not to:12"))
        #expect(long.count >= CallOrdering.keptListSize)

        // New calls and strings: nothing kept from before may be used for them.
        let queue = IngestQueue()
        let more = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        BackgroundLoader.load(path: more, source: model.addSource(name: more, kind: .file), queue: queue)
        model.ingest(queue.drain())
        for column in [CallSort.callID, .from, .source, .start] { checkAll(model, column, true) }
    }

    /// Every call once, in the column's order.
    func checkAll(_ model: ViewerModel, _ column: CallSort, _ descending: Bool) {
        let s = model.store
        let rows = model.callRows(scope: .all, sort: column, descending: descending, filter: nil)
        #expect(rows.map(\.call).sorted() == Array(0..<Int32(s.calls.count)), "\(column)")
        checkOrder(rows, s, column, descending)
    }

    func check(_ model: ViewerModel, _ column: CallSort, _ descending: Bool) {
        let s = model.store
        let rows = model.callRows(scope: .all, sort: column, descending: descending, filter: nil)
        #expect(s.calls.count == 100)
        #expect(rows.map(\.call).sorted() == Array(0..<Int32(s.calls.count)))
        let distinct = checkOrder(rows, s, column, descending)
        // The captures give each column something to sort (except the constant users of sipp).
        if column != .from && column != .to && column != .method { #expect(distinct > 1, "\(column)") }
    }

    /// Every neighbouring pair in the column's order, ties in start order; the distinct values seen.
    @discardableResult
    func checkOrder(_ rows: [CallRow], _ s: TraceStore, _ column: CallSort, _ descending: Bool) -> Int {
        var distinct = Set<Value>()
        for (a, b) in zip(rows, rows.dropFirst()) {
            let va = Self.value(column, a.call, in: s), vb = Self.value(column, b.call, in: s)
            distinct.insert(va)
            if (va == Self.unknown) != (vb == Self.unknown) {
                #expect(vb == Self.unknown, "\(column) \(descending ? "descending" : "ascending"): a call without it before \(vb)")
            } else if va != vb {
                #expect(descending ? va > vb : va < vb, "\(column) \(descending ? "descending" : "ascending"): \(va) before \(vb)")
            } else if column != .start || !descending {
                let ta = s.calls[Int(a.call)].firstTime, tb = s.calls[Int(b.call)].firstTime
                #expect((ta, a.call) < (tb, b.call), "\(column): a tie out of start order")
            } else {
                #expect(a.call > b.call, "start descending: equal times in reverse order")
            }
        }
        return distinct.count
    }
}
