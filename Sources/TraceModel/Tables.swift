import WireDecoding

/// Endpoints interned to small ids, so records stay fixed-size. An open-addressing table with a
/// cheap integer hash: this runs twice per message, and the standard Dictionary's seeded hashing
/// of an enum was a tenth of the load time.
public struct EndpointTable: Sendable {
    public private(set) var all: [Endpoint] = []
    private var slots: [UInt32] = [UInt32](repeating: 0, count: 64)  // id + 1; 0 = empty
    private var lastEndpoint = Endpoint.unknown
    private var lastID: UInt32 = .max

    public init() {}

    public mutating func id(_ e: Endpoint) -> UInt32 {
        if lastID != .max, e == lastEndpoint { return lastID }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: EndpointTable.hash(e)) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if all[Int(s - 1)] == e {
                lastEndpoint = e
                lastID = s - 1
                return s - 1
            }
            i = (i + 1) & mask
        }
        let id = UInt32(all.count)
        all.append(e)
        slots[i] = id + 1
        if all.count * 2 > slots.count { grow() }
        lastEndpoint = e
        lastID = id
        return id
    }

    public subscript(id: UInt32) -> Endpoint { all[Int(id)] }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, e) in all.enumerated() {
            var i = Int(truncatingIfNeeded: EndpointTable.hash(e)) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(id + 1)
        }
    }

    @inline(__always) static func hash(_ e: Endpoint) -> UInt64 {
        var h: UInt64
        switch e.address {
        case .v4(let a): h = UInt64(a)
        case .v6(let hi, let lo): h = hi ^ (lo &* 0x9e37_79b9_7f4a_7c15)
        }
        h = (h ^ UInt64(e.port) << 40) &* 0xff51_afd7_ed55_8ccd
        return h ^ (h >> 29)
    }
}

/// Small interning table for values that repeat a lot and are few (origins).
public struct ValueTable<Value: Hashable & Sendable>: Sendable {
    public private(set) var all: [Value] = []
    private var ids: [Value: Int] = [:]

    public init() {}

    public mutating func id(_ v: Value) -> Int {
        if let id = ids[v] { return id }
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
}
