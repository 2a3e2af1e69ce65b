import TraceModel
import WireDecoding

extension ViewerModel {
    /// Whether each row of `rows` has `needle` (lowercased) in its search text in any case: the
    /// answer of `callSearchText(_:).lowercased().contains(needle)`, worked out on the bytes of
    /// the call's strings without making the text. A search with no match goes through every
    /// call: as Strings, 2.8 µs a call, 0.4 s for a load test's 142,858. For a list of most of
    /// the calls, every call is looked at once, in the model's order: a list sorted by another
    /// column reaches its calls in an order that misses the cache at each one, which took
    /// longer than the matching.
    func callSearch(_ rows: [CallRow], needle: String) -> (Int) -> Bool {
        let s = store
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, pattern.allSatisfy({ $0 < 0x80 }) else {
            return { self.callSearchText(rows[$0].call).lowercased().contains(needle) }
        }
        // The text joins its fields with spaces: a needle without one matches within a field;
        // one with spaces matches only where its longest word is in a field, looked at first.
        // A short list (one session's calls among many) is looked at row by row, as reached.
        let rowByRow = rows.count * 4 < s.calls.count
        let match: (Int, UnsafePointer<Call>) -> Bool
        let word = pattern.split(separator: 32).max { $0.count < $1.count }.map { Array($0) } ?? []
        if !pattern.contains(32) {
            match = fieldMatch(pattern: pattern, needle: needle, wholeTable: !rowByRow)
        } else if word.isEmpty {
            match = joinedMatch(pattern: pattern, needle: needle)
        } else {
            let hasWord = fieldMatch(pattern: word, needle: String(decoding: word, as: UTF8.self), wholeTable: !rowByRow)
            let joined = joinedMatch(pattern: pattern, needle: needle)
            match = { hasWord($0, $1) && joined($0, $1) }
        }
        if rowByRow {
            return { i in
                let c = Int(rows[i].call)
                return s.calls.withUnsafeBufferPointer { match(c, $0.baseAddress! + c) }
            }
        }
        var matched = [Bool](repeating: false, count: s.calls.count)
        s.calls.withUnsafeBufferPointer { calls in
            for c in calls.indices { matched[c] = match(c, calls.baseAddress! + c) }
        }
        return { matched[Int(rows[$0].call)] }
    }

    /// Call `c` matches when one of its fields holds the needle. With `wholeTable`, for a list
    /// of most calls, the strings are all looked at first, in one walk through the string table
    /// (`stringsHolding`), instead of each call's at its turn.
    private func fieldMatch(pattern: [UInt8], needle: String, wholeTable: Bool) -> (Int, UnsafePointer<Call>) -> Bool {
        let s = store
        func inName(_ name: String) -> Bool { name.lowercased().contains(needle) }
        let states = CallState.allCases.reduce(into: [Bool](repeating: false, count: 256)) { $0[Int($1.rawValue)] = inName($1.name) }
        let kinds = SIPMethod.allCases.reduce(into: [Bool](repeating: false, count: 256)) { $0[Int($1.rawValue)] = inName($1.name) }
        // Final statuses are three digits: each is looked at once.
        var statuses = [Int8](repeating: -1, count: 1000)
        func inStatus(_ status: UInt16) -> Bool {
            guard status != 0 else { return false }
            guard status < 1000 else { return String(status).contains(needle) }
            if statuses[Int(status)] < 0 { statuses[Int(status)] = String(status).contains(needle) ? 1 : 0 }
            return statuses[Int(status)] == 1
        }
        func holds(_ bytes: UnsafeRawBufferPointer) -> Bool {
            CaseFoldedSearch.contains(bytes, pattern) ?? String(decoding: bytes, as: UTF8.self).lowercased().contains(needle)
        }
        let table = wholeTable ? ViewerModel.stringsHolding(s.strings, holds) : nil
        func inString(_ id: UInt32) -> Bool {
            guard id != 0 else { return false }
            if let table { return table[Int(id)] }
            return s.strings.withBytes(id, holds)
        }
        return { _, call in
            states[Int(call.pointee.state.rawValue)] || kinds[Int(call.pointee.kind.rawValue)]
                || inStatus(call.pointee.finalStatus) || inString(call.pointee.fromUser)
                || inString(call.pointee.toUser) || inString(call.pointee.callID)
        }
    }

    /// Call `c` matches when its fields, joined as the search text joins them, hold the needle.
    private func joinedMatch(pattern: [UInt8], needle: String) -> (Int, UnsafePointer<Call>) -> Bool {
        let s = store
        let states = CallState.allCases.reduce(into: [[UInt8]](repeating: [], count: 256)) { $0[Int($1.rawValue)] = Array($1.name.utf8) }
        let kinds = SIPMethod.allCases.reduce(into: [[UInt8]](repeating: [], count: 256)) { $0[Int($1.rawValue)] = Array($1.name.utf8) }
        var statuses: [UInt16: [UInt8]] = [:]
        var text: [UInt8] = []
        return { c, call in
            text.removeAll(keepingCapacity: true)
            func field(_ id: UInt32) {
                if id != 0 { s.strings.withBytes(id) { text.append(contentsOf: $0) } }
                text.append(32)
            }
            field(call.pointee.fromUser)
            field(call.pointee.toUser)
            field(call.pointee.callID)
            text.append(contentsOf: states[Int(call.pointee.state.rawValue)])
            text.append(32)
            text.append(contentsOf: kinds[Int(call.pointee.kind.rawValue)])
            text.append(32)
            let status = call.pointee.finalStatus
            if status != 0 {
                if statuses[status] == nil { statuses[status] = Array(String(status).utf8) }
                text.append(contentsOf: statuses[status]!)
            }
            return text.withUnsafeBytes { CaseFoldedSearch.contains($0, pattern) }
                ?? self.callSearchText(Int32(c)).lowercased().contains(needle)
        }
    }

    /// `holds` of every interned string, by id. The strings' bytes lie in the order of their
    /// ids: walked in that order they come from memory as fast as it reads, where the calls'
    /// strings, taken call by call, are scattered through it (their reads were most of a search
    /// that finds nothing among a load test's calls).
    static func stringsHolding(_ strings: ByteStringTable, _ holds: (UnsafeRawBufferPointer) -> Bool) -> [Bool] {
        var table = [Bool](repeating: false, count: strings.count + 2)
        for id in 1..<table.count - 1 { table[id] = strings.withBytes(UInt32(id), holds) }
        return table
    }
}
