import TraceModel

/// A group, call or message a screen names by its number in the store. An eviction rebuilds
/// the store and renumbers everything; groups are followed through it by number, calls and
/// messages by one message of their own, so the screens can stay where they were.
public enum ScreenAnchor: Hashable, Sendable {
    case group(Int)
    case call(Int32)
    case message(Int32)

    /// The message that stands for a call (its first) or a message; groups are followed by
    /// number (`TraceStore.followedGroups`).
    func message(in store: TraceStore) -> Int32? {
        switch self {
        case .group:
            return nil
        case .call(let c):
            guard c >= 0, Int(c) < store.calls.count, store.calls[Int(c)].firstMessage >= 0 else { return nil }
            return store.calls[Int(c)].firstMessage
        case .message(let m):
            return m >= 0 && Int(m) < store.messages.count ? m : nil
        }
    }
}

/// Old numbers to new after evictions; a number missing was dropped with its group.
public struct ScreenRenumbering: Sendable {
    public var groups: [Int: Int] = [:]
    public var calls: [Int32: Int32] = [:]
    public var messages: [Int32: Int32] = [:]
}

extension ScreenState {
    /// The groups, calls and messages this screen names, its scope first.
    var anchors: [ScreenAnchor] {
        var a: [ScreenAnchor] = []
        switch kind {
        case .groups:
            if let c = cursor { a.append(.group(c)) }
        case .calls(let scope):
            if case .group(let g) = scope { a.append(.group(g)) }
            if let c = cursor { a.append(.call(Int32(c))) }
            a += marked.map { .call($0) }
        case .ladder(let scope):
            switch scope {
            case .calls(let calls): a += calls.map { .call($0) }
            case .group(let g): a.append(.group(g))
            }
            if let c = cursor { a.append(.message(Int32(c))) }
            a += marked.map { .message($0) }
        case .message(let m):
            a.append(.message(m))
        case .diff(let x, let y):
            a += [.message(x), .message(y)]
        }
        return a
    }

    /// The screen with its numbers renumbered; nil when what it shows was dropped. A cursor
    /// or mark whose item went is let go (the cursor then lands near where it was).
    func renumbered(_ map: ScreenRenumbering) -> ScreenState? {
        var s = self
        switch kind {
        case .groups:
            s.cursor = cursor.flatMap { map.groups[$0] }
        case .calls(let scope):
            if case .group(let g) = scope {
                guard let now = map.groups[g] else { return nil }
                s.kind = .calls(.group(now))
            }
            s.cursor = cursor.flatMap { map.calls[Int32($0)] }.map(Int.init)
            s.marked = marked.compactMap { map.calls[$0] }
        case .ladder(let scope):
            switch scope {
            case .calls(let calls):
                let now = calls.compactMap { map.calls[$0] }
                guard !now.isEmpty else { return nil }
                s.kind = .ladder(.calls(now))
            case .group(let g):
                guard let now = map.groups[g] else { return nil }
                s.kind = .ladder(.group(now))
            }
            s.cursor = cursor.flatMap { map.messages[Int32($0)] }.map(Int.init)
            s.marked = marked.compactMap { map.messages[$0] }
        case .message(let m):
            guard let now = map.messages[m] else { return nil }
            s.kind = .message(now)
        case .diff(let x, let y):
            guard let nx = map.messages[x], let ny = map.messages[y] else { return nil }
            s.kind = .diff(nx, ny)
        }
        return s
    }
}
