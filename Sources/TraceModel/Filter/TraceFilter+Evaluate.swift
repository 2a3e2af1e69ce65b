import WireDecoding

extension TraceFilter {
    /// A call matches when its own facts do (From, To, Call-ID, correlation id, state), or when
    /// one of its messages does for per-message facts (method, status, src, dst, payload).
    public func matches(call: Int32, in store: TraceStore) -> Bool {
        evaluate(root, store: store, call: call, message: nil)
    }

    /// A message (or HEP event) matches on its own facts and on those of its call (for an
    /// event, the call it is attached to: `callid:X` keeps the call's logs and RTCP reports, as
    /// `save --call X` does).
    public func matches(message: Int32, in store: TraceStore) -> Bool {
        let r = store.messages[Int(message)]
        return evaluate(root, store: store, call: r.call >= 0 ? r.call : store.call(ofEvent: message), message: message)
    }

    /// Which messages the filter shows, as `print --filter`, `save --filter` and the viewer's
    /// save of what the filter shows keep them: every message of a call it matches, and each
    /// HEP event it matches itself. The calls are tested once, when this is made.
    public func shows(in store: TraceStore) -> (Int32) -> Bool {
        let matched = store.calls.indices.map { matches(call: Int32($0), in: store) }
        return { m in
            let r = store.messages[Int(m)]
            return r.call >= 0 ? matched[Int(r.call)] : self.matches(message: m, in: store)
        }
    }

    private func evaluate(_ node: Node, store: TraceStore, call: Int32?, message: Int32?) -> Bool {
        switch node {
        case .and(let a, let b):
            return evaluate(a, store: store, call: call, message: message)
                && evaluate(b, store: store, call: call, message: message)
        case .or(let a, let b):
            return evaluate(a, store: store, call: call, message: message)
                || evaluate(b, store: store, call: call, message: message)
        case .not(let a):
            return !evaluate(a, store: store, call: call, message: message)
        case .term(let t):
            return Self.evaluate(t, store: store, call: call, message: message)
        }
    }

    private static func evaluate(_ t: Term, store: TraceStore, call: Int32?, message: Int32?) -> Bool {
        // Facts of one message; for a call, any of its messages.
        func anyMessage(_ test: (Int32) -> Bool) -> Bool {
            if let message { return test(message) }
            guard let call else { return false }
            return store.messages(of: call).contains(where: test)
        }
        func callText(_ id: (Call) -> UInt32, _ needle: String) -> Bool {
            guard let call else { return false }
            let v = id(store.calls[Int(call)])
            return v != 0 && contains(store, v, needle)
        }
        switch t {
        case .method(let name):
            return anyMessage { m in
                let r = store.messages[Int(m)]
                guard r.isSIP else { return false }
                if r.isRequest { return store.methodName(m) == name }
                // A response answers the method its CSeq names.
                return message != nil && store.cseqText(m).map { $0.hasSuffix(" " + name) } == true
            }
        case .status(let pattern):
            return anyMessage { m in
                let r = store.messages[Int(m)]
                return r.isSIP && !r.isRequest && pattern.matches(r.status)
            }
        case .fromUser(let needle): return callText({ $0.fromUser }, needle)
        case .toUser(let needle): return callText({ $0.toUser }, needle)
        case .callID(let needle): return callText({ $0.callID }, needle)
        case .correlation(let needle):
            // An event's own correlation id (a log correlated by the Call-ID), then its call's.
            if let message, store.correlationID(ofMessage: message)?.lowercased().contains(needle) == true { return true }
            guard let call else { return false }
            return correlationNames(store, call).contains { $0.lowercased().contains(needle) }
        case .source(let p):
            return anyMessage { p.matches(store.endpoints[store.messages[Int($0)].source]) }
        case .destination(let p):
            return anyMessage { p.matches(store.endpoints[store.messages[Int($0)].destination]) }
        case .state(let s):
            guard let call else { return false }
            return store.calls[Int(call)].state == s
        case .payload(let p):
            return anyMessage { m in
                store.withPayload(of: store.messages[Int(m)]) { bytes in
                    let text = String(decoding: bytes, as: UTF8.self)
                    return (try? p.regex.firstMatch(in: text)) != nil
                }
            }
        case .anyText(let needle):
            if let call {
                let c = store.calls[Int(call)]
                for id in [c.callID, c.fromUser, c.toUser] where id != 0 && contains(store, id, needle) { return true }
                return correlationNames(store, call).contains { $0.lowercased().contains(needle) }
            }
            if let message { return store.correlationID(ofMessage: message)?.lowercased().contains(needle) == true }
            return false
        }
    }

    /// The HEP correlation id the call carried and the name of the group it is in now (a leg
    /// linked into a session answers to the session's name too).
    private static func correlationNames(_ store: TraceStore, _ call: Int32) -> [String] {
        let c = store.calls[Int(call)]
        var names: [String] = []
        if c.hepCorrelation != 0 { names.append(store.strings.string(c.hepCorrelation)) }
        if let g = store.correlationID(of: store.groups[Int(c.group)]) { names.append(g) }
        return names
    }

    /// Case-insensitive substring test on an interned string, without copying ASCII text. The
    /// needle (lowercase) is read in place: a filter runs this for every call of a list, and an
    /// array made of it each time cost more than the search.
    private static func contains(_ store: TraceStore, _ id: UInt32, _ needle: String) -> Bool {
        guard !needle.isEmpty else { return true }
        return store.strings.withBytes(id) { hay in
            var bytes = needle  // withUTF8 wants a variable; a native string is not copied
            let folded = bytes.withUTF8 { n in n.allSatisfy { $0 < 0x80 } ? CaseFoldedSearch.contains(hay, n) : nil }
            return folded ?? String(decoding: hay, as: UTF8.self).lowercased().contains(needle)
        }
    }
}
