/// What a format reader made of the bytes at the cursor. The facade turns these into frames,
/// warnings and counters, so the format readers never build strings on the packet path.
enum ReaderStep {
    /// A packet, written into the caller's frame (all but `frameNumber`, which the facade
    /// sets). Passing the frame in rather than in the enum keeps the per-packet path free of
    /// copies of a struct that holds a String.
    case frame(consumed: Int)
    /// A block or header with no packet in it. `skipped` marks a record dropped as unusable.
    case skip(consumed: Int, warning: String?, skipped: Bool)
    case needMoreData
    /// The data ended exactly at a record boundary.
    case end
    /// The data ended inside a record, and no more will come.
    case truncated(String)
    /// The framing is broken here; there is no safe way to find the next record.
    case corrupt(String)
}

/// A capture format whose header says in which byte order its records' fields are written.
protocol ByteOrderedReader {
    var bigEndian: Bool { get }
}

extension ByteOrderedReader {
    @inline(__always) func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        bigEndian ? b.be16(o) : b.le16(o)
    }

    @inline(__always) func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        bigEndian ? b.be32(o) : b.le32(o)
    }
}

extension UnsafeRawBufferPointer {
    /// Up to four leading bytes as "3c 68 74 6d", for error messages.
    func hexPrefix(at offset: Int = 0, count n: Int = 4) -> String {
        guard offset >= 0, offset < count else { return "" }
        let end = Swift.min(count, offset + n)
        return (offset..<end).map { i -> String in
            let s = String(self[i], radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: " ")
    }
}
