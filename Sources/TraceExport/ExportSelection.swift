import TraceModel
import WireDecoding

/// Which messages an export holds, and a sentence saying so (it goes into pcapng file comments).
public struct ExportSelection: Sendable {
    /// Message and event indices of the store, in time order.
    public var messages: [Int32]
    public var description: String

    public init(messages: [Int32], description: String) {
        self.messages = messages
        self.description = description
    }

    public var isEmpty: Bool { messages.isEmpty }

    /// Everything the model holds.
    public static func all(_ store: TraceStore) -> ExportSelection {
        var all: [Int32] = []
        for g in store.orderedGroups {
            let group = store.groups[g]
            for c in group.calls { all += store.messages(of: c) }
            all += group.events
        }
        return ExportSelection(messages: store.ordered(all), description: "all messages")
    }

    /// What `filter` shows, as `print --filter` prints it: the messages of the calls it
    /// matches, and the HEP events it matches themselves.
    public func keeping(_ filter: TraceFilter, in store: TraceStore) -> ExportSelection {
        ExportSelection(messages: messages.filter(filter.shows(in: store)), description: description)
    }

    /// The groups whose correlation id is one of `ids` ("uncorrelated" names the bucket).
    public static func groups(_ store: TraceStore, ids: [String]) -> ExportSelection {
        var picked: [Int32] = []
        for g in store.orderedGroups {
            let group = store.groups[g]
            let name = store.correlationID(of: group) ?? "uncorrelated"
            guard ids.contains(name) else { continue }
            for c in group.calls { picked += store.messages(of: c) }
            picked += group.events
        }
        return ExportSelection(messages: store.ordered(picked), description: "correlation id " + ids.joined(separator: ", "))
    }

    /// The calls with one of these Call-IDs (in any group), with their events.
    public static func calls(_ store: TraceStore, callIDs: [String]) -> ExportSelection {
        var picked: [Int32] = []
        for (i, c) in store.calls.enumerated() where callIDs.contains(store.strings.string(c.callID)) {
            picked += store.messages(of: Int32(i)) + store.events(of: Int32(i))
        }
        return ExportSelection(messages: store.ordered(picked), description: "Call-ID " + callIDs.joined(separator: ", "))
    }

    /// Messages that are in both selections.
    public func intersecting(_ other: ExportSelection) -> ExportSelection {
        let keep = Set(other.messages)
        return ExportSelection(messages: messages.filter { keep.contains($0) }, description: "\(description), \(other.description)")
    }
}
