import WireDecoding

/// Endpoints interned to small ids, so records stay fixed-size.
public struct EndpointTable: Sendable {
    public private(set) var all: [Endpoint] = []
    private var ids: [Endpoint: UInt32] = [:]

    public init() {}

    public mutating func id(_ e: Endpoint) -> UInt32 {
        if let id = ids[e] { return id }
        let id = UInt32(all.count)
        all.append(e)
        ids[e] = id
        return id
    }

    public subscript(id: UInt32) -> Endpoint { all[Int(id)] }
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
/// segments, inflated, received live), one after another in a single growing buffer.
public struct PayloadArena: Sendable {
    private var storage: [UInt8] = []

    public init() {}

    public var byteCount: Int { storage.count }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let offset = storage.count
        storage.append(contentsOf: bytes)
        return offset
    }

    public func withBytes<R>(offset: Int, length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes { body($0.slice(offset..<offset + length)) }
    }
}

/// An input whose bytes stay available while the model points into them (a mapped file).
public protocol PayloadSource: AnyObject, Sendable {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
