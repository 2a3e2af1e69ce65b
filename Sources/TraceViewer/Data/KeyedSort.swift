/// Sorts call lists on 64-bit keys with a stable LSD radix sort: a hundred thousand calls in a
/// few milliseconds, where a comparison sort on tuples, closures and strings took tens. Being
/// stable, it keeps the input's order among equal keys, which is how ties fall back to
/// start order.
enum KeyedSort {
    /// `values` reordered by `keys`, ascending; equal keys keep their order.
    static func stable(_ values: [Int32], keys: [UInt64]) -> [Int32] {
        precondition(values.count == keys.count)
        let n = values.count
        guard n > 1 else { return values }
        // Already in order (calls by start time, as they usually arrive): nothing to move.
        if keys.withUnsafeBufferPointer({ k in (1..<n).allSatisfy { k[$0 - 1] <= k[$0] } }) { return values }
        if let nearly = insertionSorted(values, keys: keys, moveBudget: 2 * n) { return nearly }
        // One pass counts all eight byte positions; a position where every key has the same byte
        // needs no pass (high bytes of small ranks, low bytes of whole seconds).
        var counts = [Int](repeating: 0, count: 8 * 256)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for key in k {
                    for byte in 0..<8 { c[byte << 8 | Int(truncatingIfNeeded: key >> (byte * 8)) & 0xff] += 1 }
                }
            }
        }
        var keyA = keys, valueA = values
        var keyB = [UInt64](repeating: 0, count: n), valueB = [Int32](repeating: 0, count: n)
        for byte in 0..<8 {
            let base = byte << 8
            if counts[base + Int(truncatingIfNeeded: keyA[0] >> (byte * 8)) & 0xff] == n { continue }
            var offsets = [Int](repeating: 0, count: 256)
            var running = 0
            for b in 0..<256 { offsets[b] = running; running += counts[base + b] }
            keyA.withUnsafeBufferPointer { ks in
                valueA.withUnsafeBufferPointer { vs in
                    keyB.withUnsafeMutableBufferPointer { kd in
                        valueB.withUnsafeMutableBufferPointer { vd in
                            offsets.withUnsafeMutableBufferPointer { o in
                                for i in 0..<n {
                                    let key = ks[i]
                                    let b = Int(truncatingIfNeeded: key >> (byte * 8)) & 0xff
                                    let at = o[b]
                                    o[b] = at + 1
                                    kd[at] = key
                                    vd[at] = vs[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keyA, &keyB)
            swap(&valueA, &valueB)
        }
        return valueA
    }

    /// `values` by `keys` with an insertion sort, for keys nearly in order: calls by start time,
    /// where a call starts with its first message and messages come nearly, not exactly, in time
    /// order (two capture points, HEP times beside capture times). Each key out of place moves
    /// back past the greater ones before it, so equal keys keep their order. Nil, after little
    /// work, once more than `moveBudget` moves were needed: then the radix passes cost less
    /// (on keys in random order the budget runs out within the first few thousand).
    static func insertionSorted(_ values: [Int32], keys: [UInt64], moveBudget: Int) -> [Int32]? {
        guard keys.count > 1 else { return values }
        var k = keys, v = values
        let done = k.withUnsafeMutableBufferPointer { kb in
            v.withUnsafeMutableBufferPointer { vb in
                var moves = 0
                for i in 1..<kb.count where kb[i - 1] > kb[i] {
                    let key = kb[i], value = vb[i]
                    var j = i
                    while j > 0, kb[j - 1] > key {
                        kb[j] = kb[j - 1]
                        vb[j] = vb[j - 1]
                        j -= 1
                    }
                    kb[j] = key
                    vb[j] = value
                    moves += i - j
                    if moves > moveBudget { return false }
                }
                return true
            }
        }
        return done ? v : nil
    }

    /// A signed value as a key that sorts the same way.
    @inline(__always) static func key(_ v: Int64) -> UInt64 { UInt64(bitPattern: v) ^ (1 << 63) }
}
