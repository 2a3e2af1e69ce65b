#if canImport(Glibc)
import Glibc
#endif
import WireDecoding

/// Interns byte strings (Call-IDs, correlation ids, node names) without allocating per lookup:
/// the bytes live once in one growing arena and an open-addressing table maps them to small ids.
/// Ids start at 1 so that 0 can mean "none" in compact records.
public struct ByteStringTable: Sendable {
    // Visible to inlined code only: `withBytes` is inlined into per-row loops of other modules
    // (a search through every call), where a generic call would cost more than its work.
    @usableFromInline private(set) var arena: [UInt8] = []
    @usableFromInline private(set) var starts: [UInt32] = [0]   // starts[id]..<starts[id+1]; id 0 is the empty "none"
    // 0 = empty, else the string's 32-bit hash (high half) and its id (low half): a probe
    // compares hashes without a second read elsewhere in memory.
    private var slots: [UInt64]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        starts.append(0)
    }

    public var count: Int { starts.count - 2 }
    /// Bytes held (arena plus tables), for the memory figures.
    public var memoryBytes: Int { arena.capacity + starts.capacity * 4 + slots.capacity * 8 }
    /// Bytes in use: room reserved but not yet filled is left out (it stays virtual).
    public var usedBytes: Int { arena.count + starts.count * 4 + slots.count * 8 }

    /// Makes room for about `strings` more strings of `bytes` bytes in all, so that a big load
    /// does not copy them each time the arena doubles; room not filled stays virtual.
    public mutating func reserveCapacity(strings: Int, bytes: Int) {
        arena.reserveCapacity(arena.count + bytes)
        starts.reserveCapacity(starts.count + strings)
    }

    /// The id of `bytes`, adding them when new.
    public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        intern(bytes, byteHash: ByteHash.of(bytes))
    }

    /// Like `intern(_:)`, with `ByteHash.of(bytes)` already worked out (by a decoding thread).
    public mutating func intern(_ bytes: UnsafeRawBufferPointer, byteHash: UInt64) -> UInt32 {
        let h = UInt32(truncatingIfNeeded: byteHash)
        let (found, i) = probe(bytes, h)
        if let found { return found }
        let id = UInt32(starts.count - 1)
        arena.append(contentsOf: bytes)
        starts.append(UInt32(truncatingIfNeeded: arena.count))
        slots[i] = UInt64(h) << 32 | UInt64(id)
        if count * 4 > slots.count * 3 { grow() }  // at most three quarters full
        return id
    }

    public mutating func intern(_ string: String) -> UInt32 {
        var s = string
        return s.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    /// The id of `bytes` if already interned.
    public func lookup(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        probe(bytes, UInt32(truncatingIfNeeded: ByteHash.of(bytes))).id
    }

    /// The id of `bytes` (hash `h`) if present, else nil and the empty slot where it would go.
    private func probe(_ bytes: UnsafeRawBufferPointer, _ h: UInt32) -> (id: UInt32?, slot: Int) {
        var i = Int(h) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return (nil, i) }
            if UInt32(truncatingIfNeeded: slot >> 32) == h, equals(Int(UInt32(truncatingIfNeeded: slot)), bytes) {
                return (UInt32(truncatingIfNeeded: slot), i)
            }
            i = (i + 1) & mask
        }
    }

    @inlinable public func withBytes<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let s = Int(starts[Int(id)]), e = Int(starts[Int(id) + 1])
        return arena.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[s..<e])) }
    }

    /// The text of an id; "" for 0. Bytes that are not UTF-8 come out as the text `\xNN`, one
    /// per byte, so that two names that differ only there still read differently (a
    /// replacement character would make them look equal).
    public func string(_ id: UInt32) -> String {
        guard id != 0 else { return "" }
        return withBytes(id) { String(showingInvalidUTF8: $0) }
    }

    /// True when string `id` is exactly `bytes`.
    public func has(_ id: UInt32, bytes: UnsafeRawBufferPointer) -> Bool { equals(Int(id), bytes) }

    private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let s = Int(starts[id]), e = Int(starts[id + 1])
        guard e - s == bytes.count else { return false }
        return arena.withUnsafeBytes { a in
            guard let pa = a.baseAddress, let pb = bytes.baseAddress else { return bytes.isEmpty }
            return memcmp(pa + s, pb, bytes.count) == 0
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot != 0 {
            var i = Int(UInt32(truncatingIfNeeded: slot >> 32)) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
