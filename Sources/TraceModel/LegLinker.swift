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
    var hepGroup = PerCall()
    var linkGroup: [Int32: UInt32] = [:]
    var tokens = Tokens()

    /// A group id per call, in an array: every HEP call has one from the start.
    struct PerCall: Sendable {
        private var values: [UInt32] = []  // UInt32.max: none

        mutating func append() { values.append(.max) }

        subscript(call: Int32) -> UInt32? {
            get { values[Int(call)] == .max ? nil : values[Int(call)] }
            set { values[Int(call)] = newValue ?? .max }
        }
    }

    /// Link tokens (hashes of Call-IDs, Session-IDs...) and who holds them: one or two per call.
    struct Tokens: Sendable {
        private var table = UInt64Table()

        var capacity: Int { table.capacity }

        subscript(token: UInt64) -> Holder? {
            get {
                guard let v = table[token] else { return nil }
                let call = Int32(truncatingIfNeeded: v)
                switch v >> 32 {
                case 1: return .callID(call)
                case 2: return .reference(call)
                default: return .shared(call)
                }
            }
            set {
                guard let newValue else { preconditionFailure("link tokens are never removed") }
                let (kind, call): (Int64, Int32)
                switch newValue {
                case .callID(let c): (kind, call) = (1, c)
                case .reference(let c): (kind, call) = (2, c)
                case .shared(let c): (kind, call) = (3, c)
                }
                table[token] = kind << 32 | Int64(UInt32(bitPattern: call))
            }
        }
    }

    mutating func addCall() {
        parent.append(Int32(parent.count))
        size.append(1)
        hepGroup.append()
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
