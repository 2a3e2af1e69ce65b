/// Joins call legs that belong together (X-CID naming another Call-ID, a shared Session-ID or
/// ICID...), transitively and whatever the arrival order: a union-find over calls, plus a table
/// of link tokens that remembers who named or carried each value until its partner shows up.
struct LegLinker: Sendable {
    enum Holder: Sendable {
        /// The call whose own Call-ID this is.
        case callID(Int32)
        /// A call that named this Call-ID (X-CID) before the call itself was seen.
        case reference(Int32)
        /// A call carrying a shared value (Session-ID, ICID, configured header).
        case shared(Int32)
    }

    private var parent: [Int32] = []
    private var size: [Int32] = []
    /// Members of each component with more than one call, at its root.
    private var members: [Int32: [Int32]] = [:]
    /// Per component root: the HEP group its calls follow, and its link group.
    var hepGroup: [Int32: UInt32] = [:]
    var linkGroup: [Int32: UInt32] = [:]
    var tokens: [UInt64: Holder] = [:]

    mutating func addCall() {
        parent.append(Int32(parent.count))
        size.append(1)
    }

    mutating func find(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            parent[Int(x)] = parent[Int(parent[Int(x)])]
            x = parent[Int(x)]
        }
        return x
    }

    func members(of root: Int32) -> [Int32] { members[root] ?? [root] }

    /// The call whose own Call-ID hashes to `token`, if seen.
    func callNamed(_ token: UInt64) -> Int32? {
        if case .callID(let c) = tokens[token] { return c }
        return nil
    }

    /// Merges the components of `a` and `b`; returns (new root, absorbed root) or nil when they
    /// were already one.
    mutating func union(_ a: Int32, _ b: Int32) -> (root: Int32, absorbed: Int32)? {
        let ra = find(a), rb = find(b)
        guard ra != rb else { return nil }
        let (big, small) = size[Int(ra)] >= size[Int(rb)] ? (ra, rb) : (rb, ra)
        parent[Int(small)] = big
        size[Int(big)] += size[Int(small)]
        members[big] = members(of: big) + members(of: small)
        members[small] = nil
        if hepGroup[big] == nil, let h = hepGroup[small] { hepGroup[big] = h }
        hepGroup[small] = nil
        return (big, small)
    }
}
