import WireDecoding

/// Endpoints interned to small ids, so records stay fixed-size. An open-addressing table with a
/// cheap integer hash: this runs twice per message, and the standard Dictionary's seeded hashing
/// of an enum was a tenth of the load time. An IPv4 endpoint is its own key in the slot (a
/// lookup reads nothing else); an IPv6 one keys by hash and is confirmed in `all`.
public struct EndpointTable: Sendable {
    struct Slot {
        var key: UInt64   // IPv4: 1 << 63 | address << 16 | port; IPv6: a hash below 1 << 63
        var id: UInt32    // id + 1; 0 = empty
    }

    public private(set) var all: [Endpoint] = []
    private var slots = [Slot](repeating: Slot(key: 0, id: 0), count: 64)
    /// Bytes in use (the list as filled, the slots all written).
    var usedBytes: Int { all.count * MemoryLayout<Endpoint>.stride + slots.count * MemoryLayout<Slot>.stride }
    private var lastEndpoint = Endpoint.unknown
    private var lastID: UInt32 = .max

    public init() {}

    public mutating func id(_ e: Endpoint) -> UInt32 {
        if lastID != .max, e == lastEndpoint { return lastID }
        let key = EndpointTable.key(e)
        let mask = slots.count - 1
        var i = EndpointTable.slot(key) & mask
        while true {
            let s = slots[i]
            if s.id == 0 { break }
            if s.key == key, key >> 63 == 1 || all[Int(s.id - 1)] == e {
                lastEndpoint = e
                lastID = s.id - 1
                return s.id - 1
            }
            i = (i + 1) & mask
        }
        let id = UInt32(all.count)
        all.append(e)
        slots[i] = Slot(key: key, id: id + 1)
        if all.count * 4 > slots.count * 3 { grow() }  // at most three quarters full
        lastEndpoint = e
        lastID = id
        return id
    }

    public subscript(id: UInt32) -> Endpoint { all[Int(id)] }

    /// Makes room for `count` more endpoints without copying them as the list doubles.
    public mutating func reserveCapacity(_ count: Int) { all.reserveCapacity(all.count + count) }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(key: 0, id: 0), count: old.count * 2)
        let mask = slots.count - 1
        for s in old where s.id != 0 {
            var i = EndpointTable.slot(s.key) & mask
            while slots[i].id != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    @inline(__always) static func key(_ e: Endpoint) -> UInt64 {
        switch e.address {
        case .v4(let a):
            return 1 << 63 | UInt64(a) << 16 | UInt64(e.port)
        case .v6(let hi, let lo):
            var h = (hi ^ (lo &* 0x9e37_79b9_7f4a_7c15) ^ UInt64(e.port) << 40) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 29
            return h >> 1
        }
    }

    @inline(__always) static func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> 32)
    }
}

/// Small interning table for values that repeat a lot and are few (origins).
public struct ValueTable<Value: Hashable & Sendable>: Sendable {
    public private(set) var all: [Value] = []
    private var ids: [Value: Int] = [:]

    public init() {}

    /// The first few values are looked for by comparison: a capture has a handful, taken in turn
    /// message after message, and hashing one cost more than comparing it with all of them.
    static var scanned: Int { 8 }

    public mutating func id(_ v: Value) -> Int {
        for i in 0..<min(all.count, Self.scanned) where all[i] == v { return i }
        if all.count > Self.scanned, let id = ids[v] { return id }
        all.append(v)
        ids[v] = all.count - 1
        return all.count - 1
    }

    public subscript(id: Int) -> Value { all[id] }
}

/// Payload bytes of messages that are not contiguous in any input (reassembled from TCP
/// segments, inflated, received live), one after another in fixed-size chunks: no allocation per
/// message, and no doubling (a doubled array holds up to twice what it uses and copies it all).
public struct PayloadArena: Sendable {
    // Larger than any payload can be (HEP packets are under 64 KiB, inflated ones capped at 1 MiB).
    static let chunkSize = 4 << 20
    static let firstChunkSize = 64 << 10
    private var chunks: [[UInt8]] = []
    public private(set) var byteCount = 0

    public init() {}

    /// Returns an offset: chunk number × chunkSize + position in the chunk. A payload never
    /// spans two chunks (a bigger one gets a chunk of its own size).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        byteCount += bytes.count
        if let last = chunks.indices.last, chunks[last].count + bytes.count <= chunks[last].capacity,
           chunks[last].count + bytes.count <= PayloadArena.chunkSize {
            let offset = last * PayloadArena.chunkSize + chunks[last].count
            chunks[last].append(contentsOf: bytes)
            return offset
        }
        // The first chunk is small: a model that only ever holds a few messages (a short live
        // session, one probe) does not pay for 4 MiB. The others are whole chunks, which malloc
        // maps on their own and gives back to the system when a model is dropped; mid-sized
        // ones would stay in its heap after an eviction.
        let size = chunks.isEmpty ? PayloadArena.firstChunkSize : PayloadArena.chunkSize
        var chunk = [UInt8]()
        chunk.reserveCapacity(max(size, bytes.count))
        chunk.append(contentsOf: bytes)
        chunks.append(chunk)
        return (chunks.count - 1) * PayloadArena.chunkSize
    }

    public func withBytes<R>(offset: Int, length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let chunk = offset / PayloadArena.chunkSize, at = offset % PayloadArena.chunkSize
        return chunks[chunk].withUnsafeBytes { body($0.slice(at..<at + length)) }
    }
}

/// An input whose bytes stay available while the model points into them (a mapped file).
public protocol PayloadSource: AnyObject, Sendable {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    /// Gives back the pages read so far, when the bytes are mapped from a file: they come back
    /// from it when read again (a rebuild reads every payload kept, once).
    func releaseReadPages()
    /// True when `giveBack` frees anything (a live session's spool file): only for such inputs
    /// are the stretches no message refers to worked out after an eviction.
    var givesBackUnusedBytes: Bool { get }
    /// Told, after an eviction, byte ranges that no kept message refers to any more (the last
    /// may reach past the end: up to whatever the input holds). They are never read again.
    func giveBack(_ unused: [Range<Int>])
    /// These bytes, the first `limit` of them at most, as another thread may read them while
    /// the owner goes on (a rebuild made aside): the input itself unless the owner writes to it.
    func readableAside(upTo limit: Int) -> any PayloadSource
}

extension PayloadSource {
    public func releaseReadPages() {}
    public var givesBackUnusedBytes: Bool { false }
    public func giveBack(_ unused: [Range<Int>]) {}
    public func readableAside(upTo limit: Int) -> any PayloadSource { self }
}

/// A map from 64-bit keys to 64-bit values, open addressing with linear probing, for the
/// lookups done once per message or per call (call keys, link tokens): the standard Dictionary
/// hashes with a seeded SipHash, several times the work of one multiply here. No removal; a
/// model that drops calls is rebuilt instead.
struct UInt64Table: Sendable {
    // Key 0 marks an empty slot, so the value of key 0 is kept apart.
    private var keys: [UInt64]
    private var values: [Int64]
    private var zeroKeyValue: Int64?
    private var shift: UInt64
    private(set) var count = 0

    init() {
        keys = [UInt64](repeating: 0, count: 16)
        values = [Int64](repeating: 0, count: 16)
        shift = 64 - 4
    }

    var capacity: Int { keys.count }

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> shift)
    }

    subscript(key: UInt64) -> Int64? {
        get {
            if key == 0 { return zeroKeyValue }
            let mask = keys.count - 1
            var i = slot(key)
            while true {
                let found = keys[i]
                if found == key { return values[i] }
                if found == 0 { return nil }
                i = (i + 1) & mask
            }
        }
        set {
            guard let newValue else { preconditionFailure("UInt64Table has no removal") }
            if key == 0 {
                if zeroKeyValue == nil { count += 1 }
                zeroKeyValue = newValue
                return
            }
            let mask = keys.count - 1
            var i = slot(key)
            while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
            if keys[i] == 0 {
                keys[i] = key
                count += 1
            }
            values[i] = newValue
            if count * 4 > keys.count * 3 { grow() }
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int64](repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for (k, v) in zip(oldKeys, oldValues) where k != 0 {
            var i = slot(k)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = k
            values[i] = v
        }
    }
}
