import CZlib

public enum InflateError: Error, Equatable, Sendable {
    case notCompressed
    case corrupt(String)
    case tooLarge(limit: Int)
    case truncated
    /// The receiver of the output asked to stop.
    case stopped
}

/// zlib, gzip and raw deflate, told apart by their first bytes, with a hard cap on the output
/// so that a small hostile payload cannot expand into gigabytes.
public enum Inflate {
    public enum Format: Sendable { case zlib, gzip, rawDeflate }

    /// gzip starts 1f 8b; zlib has CM=8 in the low nibble and a header divisible by 31.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> Format? {
        guard bytes.count >= 2 else { return nil }
        let b0 = bytes[0], b1 = bytes[1]
        if b0 == 0x1f, b1 == 0x8b { return .gzip }
        if b0 & 0x0f == 8, (UInt16(b0) << 8 | UInt16(b1)) % 31 == 0 { return .zlib }
        return nil
    }

    /// Inflates `bytes` whole. Raw deflate is tried only when `allowRaw` is set, because almost
    /// any byte string starts a "valid" raw deflate block.
    public static func inflate(
        _ bytes: UnsafeRawBufferPointer, limit: Int = 1 << 20, allowRaw: Bool = false
    ) throws(InflateError) -> [UInt8] {
        let format: Format
        if let f = detect(bytes) {
            format = f
        } else if allowRaw {
            format = .rawDeflate
        } else {
            throw .notCompressed
        }
        let stream = InflateStream(format: format)
        var out: [UInt8] = []
        let done = try stream.feed(bytes, into: &out, limit: limit)
        // gzip files may hold several members back to back; zlib streams end once.
        if !done { throw .truncated }
        return out
    }
}

/// Incremental inflation, for compressed capture files read in chunks. A class, because zlib
/// keeps a pointer back to its z_stream and checks it: the stream must never move in memory.
public final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var initialised = false
    private let windowBits: Int32
    public private(set) var finished = false

    public init(format: Inflate.Format) {
        switch format {
        case .zlib: windowBits = 15
        case .gzip: windowBits = 15 + 16
        case .rawDeflate: windowBits = -15
        }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        close()
        stream.deallocate()
    }

    /// Appends what `input` inflates to onto `out`. Returns true once the stream has ended.
    /// Concatenated gzip members are followed (as gunzip does).
    public func feed(
        _ input: UnsafeRawBufferPointer, into out: inout [UInt8], limit: Int
    ) throws(InflateError) -> Bool {
        try feed(input, limit: limit, alreadyProduced: out.count) { piece, _ in out.append(contentsOf: piece); return true }
    }

    /// Hands what `input` inflates to `output`, a piece at a time (a piece is valid only during
    /// the call) with how much of `input` has been read so far, at most `limit` bytes in all
    /// counting `alreadyProduced` before this call. `output` returns false to stop
    /// (`InflateError.stopped` is thrown). Returns true once the stream has ended.
    public func feed(
        _ input: UnsafeRawBufferPointer, limit: Int, alreadyProduced: Int = 0,
        output: (_ piece: UnsafeRawBufferPointer, _ inputRead: Int) -> Bool
    ) throws(InflateError) -> Bool {
        if !initialised {
            let rc = hepscope_inflate_init2(stream, windowBits)
            guard rc == Z_OK else { throw .corrupt("zlib init failed (\(rc))") }
            initialised = true
        }
        guard let base = input.baseAddress, input.count > 0 else { return finished }
        var consumed = 0
        var producedHere = alreadyProduced
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while consumed < input.count {
            if finished {
                // Another gzip member may follow; anything else after the end is ignored.
                let rest = input.slice(consumed..<input.count)
                guard windowBits > 15, rest.count >= 2, rest[0] == 0x1f, rest[1] == 0x8b else { return true }
                inflateReset(stream)
                finished = false
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base.advanced(by: consumed).assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
            let before = Int(stream.pointee.avail_in)
            var rc: Int32 = Z_OK
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { buf in
                    stream.pointee.next_out = buf.baseAddress
                    stream.pointee.avail_out = UInt32(buf.count)
                    rc = CZlib.inflate(stream, Z_NO_FLUSH)
                    return buf.count - Int(stream.pointee.avail_out)
                }
                let failed = rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR
                let why = failed ? stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)" : ""
                producedHere += produced
                if producedHere > limit { throw .tooLarge(limit: limit) }
                let inputRead = consumed + before - Int(stream.pointee.avail_in)
                // What came out before zlib noticed the damage is handed on, then the damage
                // said (its last bytes may be garbled: the check sum comes at the end; the
                // capture reader stops at the first record that makes no sense).
                guard produced == 0 || chunk.withUnsafeBytes({ output($0.slice(0..<produced), inputRead) }) else { throw .stopped }
                if failed { throw .corrupt(why) }
                if rc == Z_STREAM_END { finished = true; break }
                if rc == Z_BUF_ERROR { break }  // needs more input
            } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
            consumed += before - Int(stream.pointee.avail_in)
            if !finished, stream.pointee.avail_in == 0 { break }
        }
        return finished
    }

    public func close() {
        if initialised { inflateEnd(stream); initialised = false }
    }
}
