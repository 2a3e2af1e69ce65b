import Testing
import TestSupport
import TraceModel

/// The arena that holds payloads of no contiguous input: every payload reads back byte for byte,
/// across the small first chunks, the full-size ones, and payloads bigger than a chunk.
@Suite struct PayloadArenaTests {
    @Test func everyPayloadReadsBackAcrossChunkSizes() throws {
        let packets = try Fixtures.rawHEPPackets()
        #expect(packets.count == 280)
        var arena = PayloadArena()
        var kept: [(offset: Int, bytes: [UInt8])] = []
        // About 14 MiB of real HEP packets: past the small chunks into several of full size.
        for round in 0..<120 {
            for p in packets {
                let offset = p.withUnsafeBytes { arena.append($0) }
                if round % 17 == 0 || kept.count < 1000 { kept.append((offset, p)) }
            }
        }
        // A payload larger than a chunk gets one of its own, and the next goes after it.
        let huge = [UInt8]((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        kept.append((huge.withUnsafeBytes { arena.append($0) }, huge))
        kept.append((packets[0].withUnsafeBytes { arena.append($0) }, packets[0]))

        var mismatches = 0
        for k in kept where !arena.withBytes(offset: k.offset, length: k.bytes.count, { $0.elementsEqual(k.bytes) }) {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(arena.byteCount == 120 * packets.reduce(0) { $0 + $1.count } + huge.count + packets[0].count)
    }
}
