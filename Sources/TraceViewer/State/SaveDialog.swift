import TraceExport
import TraceModel

/// What the save dialog can write: everything, what the filter shows, the selection, or the
/// session, call or message under the cursor.
public enum SaveScope: Hashable, Sendable {
    case all
    case filtered
    case calls([Int32])
    case group(Int)
    case message(Int32)
    case messages([Int32])
}

/// The save dialog (F2 or w): a choice of what to save, and a file name whose extension picks
/// the format, as for `hepscope save`.
public struct SaveDialog: Sendable, Equatable {
    public struct Choice: Sendable, Equatable {
        public var label: String
        public var scope: SaveScope
    }

    public var choices: [Choice]
    public var choice: Int
    public var path: String
    public var error: String?
    /// A name the user was told is taken: Enter on it again replaces the file.
    public var replacing: String?

    /// The format the file name asks for, if any.
    public var format: ExportFormat? { ExportFormat.fromExtension(path) }
}

/// A save the terminal backend should carry out (writing files is not the pure update's job).
/// The dialog stays open until it reports how the save went (`Update.finishSave`).
public struct SaveRequest: Sendable, Equatable {
    public var scope: SaveScope
    public var path: String
    public var format: ExportFormat
    /// Whether an existing file may be replaced: only once the user was told it is there.
    public var replace: Bool = false
}

/// How a save went, as the backend tells the dialog.
public enum SaveOutcome: Sendable, Equatable {
    /// Written; the notice says what and where.
    case saved(notice: String)
    /// Not written, and why (the dialog stays open with the name typed).
    case failed(String)
    /// A file of that name is there already (shown as `where`); nothing was written.
    case exists(where: String)
}

extension SaveDialog {
    /// The choices that make sense where the user is, the most specific first.
    static func open(_ state: ViewerState, _ model: ViewerModel) -> SaveDialog {
        let store = model.store
        var choices: [Choice] = []
        let top = state.top
        switch top.kind {
        case .message(let m):
            choices.append(Choice(label: "this message", scope: .message(m)))
            choices += Self.callsAndSession(of: [m], model)
        case .diff(let a, let b):
            choices.append(Choice(label: "these two messages", scope: .messages([a, b])))
            choices += Self.callsAndSession(of: [a, b], model)
        case .ladder(let scope):
            if top.marked.count > 0 { choices.append(Choice(label: Self.selected(top.marked.count, "message"), scope: .messages(top.marked))) }
            if let m = top.cursor { choices.append(Choice(label: "the message under the cursor", scope: .message(Int32(m)))) }
            switch scope {
            case .calls(let calls):
                choices.append(Choice(label: calls.count == 1 ? "this call" : "these \(calls.count) calls", scope: .calls(calls)))
                choices += Self.session(of: calls, model).map { [$0] } ?? []
            case .group(let g):
                choices.append(Choice(label: Self.session(g, model), scope: .group(g)))
            }
        case .calls(let scope):
            if top.marked.count > 0 { choices.append(Choice(label: Self.selected(top.marked.count, "call"), scope: .calls(top.marked))) }
            if let c = top.cursor, c < store.calls.count {
                choices.append(Choice(label: "the call under the cursor", scope: .calls([Int32(c)])))
            }
            if case .group(let g) = scope { choices.append(Choice(label: Self.session(g, model), scope: .group(g))) }
        case .groups:
            if let g = top.cursor { choices.append(Choice(label: Self.session(g, model, "the session under the cursor"), scope: .group(g))) }
        }
        if state.filter != nil { choices.append(Choice(label: "what the filter shows", scope: .filtered)) }
        choices.append(Choice(label: "all messages", scope: .all))
        // The last name saved to: a few files saved into one folder need the name changed only.
        return SaveDialog(choices: choices, choice: 0, path: state.lastSavePath ?? "hepscope-capture.pcapng")
    }

    /// From a message (or a diff's two), their call(s) and their session, as the ladder under
    /// them offers: reading a message, its whole call is one key away.
    static func callsAndSession(of messages: [Int32], _ model: ViewerModel) -> [Choice] {
        let store = model.store
        var calls: [Int32] = []
        for m in messages where m >= 0 && Int(m) < store.messages.count {
            let c = store.messages[Int(m)].call >= 0 ? store.messages[Int(m)].call : store.call(ofEvent: m)
            if let c, c >= 0, !calls.contains(c) { calls.append(c) }
        }
        guard !calls.isEmpty else { return [] }
        let own = messages.count == 1 ? "its call" : (calls.count == 1 ? "their call" : "their \(calls.count) calls")
        return [Choice(label: own, scope: .calls(calls))] + (session(of: calls, model).map { [$0] } ?? [])
    }

    /// The session the calls all belong to, as the call list offers it; nil when they are of
    /// several.
    static func session(of calls: [Int32], _ model: ViewerModel) -> Choice? {
        let store = model.store
        let groups = Set(calls.compactMap { c in Int(c) < store.calls.count ? Int(store.calls[Int(c)].group) : nil })
        guard groups.count == 1, let g = groups.first else { return nil }
        return Choice(label: session(g, model), scope: .group(g))
    }
}

extension SaveDialog {
    /// "this session (run-42)"; the calls of no session are "the uncorrelated calls".
    static func session(_ g: Int, _ model: ViewerModel, _ words: String = "this session") -> String {
        let store = model.store
        guard g < store.groups.count, store.groups[g].source != .none else { return "the uncorrelated calls" }
        return "\(words) (\(model.groupName(g)))"
    }

    /// "the selected call", "the 3 selected calls".
    static func selected(_ n: Int, _ what: String) -> String {
        n == 1 ? "the selected \(what)" : "the \(n) selected \(what)s"
    }
}

extension SaveScope {
    /// How many messages `selection` would name, without listing or ordering them: the save
    /// dialog shows it at every frame, and ordering all of a big capture's took most of a
    /// second.
    func messageCount(_ model: ViewerModel, filter: TraceFilter?) -> Int {
        let store = model.store
        func count(_ c: Int32) -> Int { Int(store.calls[Int(c)].messageCount) + store.events(of: c).count }
        // A group's calls' messages and its events, as `selection` lists a session.
        func inGroup(_ group: CorrelationGroup) -> Int {
            group.calls.reduce(group.events.count) { $0 + Int(store.calls[Int($1)].messageCount) }
        }
        switch self {
        case .all:
            return store.groups.reduce(0) { $0 + inGroup($1) }
        case .filtered:
            guard let filter else { return SaveScope.all.messageCount(model, filter: nil) }
            // As `selection`: the messages of the calls the filter matches, and the events it matches.
            let calls = store.calls.indices.reduce(0) { n, i in
                filter.matches(call: Int32(i), in: store) ? n + Int(store.calls[i].messageCount) : n
            }
            return store.groups.reduce(calls) { n, group in n + group.events.lazy.filter { filter.matches(message: $0, in: store) }.count }
        case .calls(let calls):
            return calls.reduce(0) { n, c in c >= 0 && Int(c) < store.calls.count ? n + count(c) : n }
        case .group(let g):
            guard g >= 0, g < store.groups.count else { return 0 }
            return inGroup(store.groups[g])
        case .message(let m):
            return Int(m) < store.messages.count ? 1 : 0
        case .messages(let ms):
            return ms.filter { Int($0) < store.messages.count }.count
        }
    }

    /// The messages this scope names, in time order.
    public func selection(_ model: ViewerModel, filter: TraceFilter?) -> ExportSelection {
        let store = model.store
        switch self {
        case .all:
            return .all(store)
        case .filtered:
            guard let filter else { return .all(store) }
            // As `hepscope save --filter` and `print --filter`.
            var shown = ExportSelection.all(store).keeping(filter, in: store)
            shown.description = "filter \(filter.expression)"
            return shown
        case .calls(let calls):
            var picked: [Int32] = []
            for c in calls where c >= 0 && Int(c) < store.calls.count {
                picked += store.messages(of: c) + store.events(of: c)
            }
            let names = calls.filter { $0 >= 0 && Int($0) < store.calls.count }.prefix(3)
                .map { store.strings.string(store.calls[Int($0)].callID) }.joined(separator: ", ")
            return ExportSelection(messages: store.ordered(picked), description: "Call-ID \(names)\(calls.count > 3 ? ", ..." : "")")
        case .group(let g):
            guard g >= 0, g < store.groups.count else { return ExportSelection(messages: [], description: "nothing") }
            let group = store.groups[g]
            var picked = group.events
            for c in group.calls { picked += store.messages(of: c) }
            return ExportSelection(messages: store.ordered(picked), description: "session \(model.groupName(g))")
        case .message(let m):
            return ExportSelection(messages: Int(m) < store.messages.count ? [m] : [], description: "one message")
        case .messages(let ms):
            return ExportSelection(messages: store.ordered(ms.filter { Int($0) < store.messages.count }), description: "\(ms.count) messages")
        }
    }
}
