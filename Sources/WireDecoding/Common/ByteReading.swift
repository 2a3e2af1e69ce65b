// Bounds are the caller's job: every decoder checks lengths once per header and then reads
// fixed offsets with these helpers, which compile to plain unaligned loads.

extension UnsafeRawBufferPointer {
    @inline(__always) public func u8(_ offset: Int) -> UInt8 {
        self[offset]
    }

    @inline(__always) public func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) public func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) public func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always) public func le16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) public func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) public func le64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A sub-range as its own buffer; `range` must lie inside `self`.
    @inline(__always) public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }

    /// A sub-range from `start` to the end.
    @inline(__always) public func dropping(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[Swift.min(count, self.count)...])
    }

    /// How many CR and LF bytes the buffer starts with: keep-alives and blank lines before a
    /// message, which framing and sniffing pass over.
    @inline(__always) public func leadingLineEnds() -> Int {
        var i = 0
        while i < count, self[i] == 13 || self[i] == 10 { i += 1 }
        return i
    }

    /// True when the bytes at `offset` equal `prefix` (ASCII, case-sensitive).
    @inline(__always) public func hasBytes(_ prefix: StaticString, at offset: Int = 0) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard offset >= 0, offset + n <= count else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where self[offset + i] != p[i] { return false }
        return true
    }
}
