import Foundation
import Testing
import TestSupport
import WireDecoding

/// Variants built from the real Kamailio capture's bytes, and small pcapng files written by
/// `PcapngBuilder`, for the layouts and damage real files rarely show.
@Suite struct CaptureFileReaderSyntheticTests {
    static func kamailio() throws -> [UInt8] {
        try Fixtures.bytes(Fixtures.kamailio("hep-kamailio-udp.pcap"))
    }

    static func withoutOffsets(_ frames: [ReadFrame]) -> [ReadFrame] {
        frames.map { var f = $0; f.dataOffset = 0; return f }
    }

    // MARK: pcap variants

    @Test func bigEndianPcapReadsTheSame() throws {
        let file = try Self.kamailio()
        let swapped = pcapToBigEndian(file)
        #expect(Array(swapped.prefix(4)) == [0xA1, 0xB2, 0xC3, 0xD4])
        let le = try readAllOrFail(file), be = try readAllOrFail(swapped)
        #expect(be.frames.count == 280)
        #expect(be.frames == le.frames)
        #expect(be.warnings.isEmpty)
    }

    @Test func nanosecondPcapReadsTheSame() throws {
        let file = try Self.kamailio()
        let ns = pcapToNanoseconds(file)
        #expect(Array(ns.prefix(4)) == [0x4D, 0x3C, 0xB2, 0xA1])
        #expect(try readAllOrFail(ns).frames == readAllOrFail(file).frames)
        // And big-endian nanosecond files too.
        #expect(try readAllOrFail(pcapToBigEndian(ns)).frames == readAllOrFail(file).frames)
    }

    @Test func kuznetsovPcapHas24ByteRecordHeaders() throws {
        let file = try Self.kamailio()
        let out = try readAllOrFail(pcapToKuznetsov(file))
        #expect(out.frames.count == 280)
        #expect(Self.withoutOffsets(out.frames) == Self.withoutOffsets(try readAllOrFail(file).frames))
        #expect(out.frames.first?.dataOffset == 24 + 24)
    }

    @Test func linkTypeIgnoresFCSBits() throws {
        var file = try Self.kamailio()
        file.putLE32(0x1400_0001, at: 20)  // FCS length 1, "FCS present" flag, Ethernet
        #expect(try readAllOrFail(file).frames.first?.linkType == 1)
    }

    @Test func truncatedInsideARecord() throws {
        let file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        let cut = spans[100].header + 16 + spans[100].caplen / 2
        let out = try readAllOrFail(Array(file[0..<cut]))
        #expect(out.frames.count == 100)
        #expect(out.isTruncated && !out.isCorrupt)
        #expect(out.warnings == [
            "file truncated: last record at byte \(spans[100].header) is incomplete (\(cut - spans[100].header) of \(16 + spans[100].caplen) bytes) (100 frames read)",
        ])
        #expect(out.position == spans[100].header)
    }

    /// Cut after every byte of the first records: only whole records come out, and any cut
    /// that is not on a record boundary is reported.
    @Test func truncatedAtEveryOffset() throws {
        let file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        let boundaries = Set([24] + spans.map { $0.header + 16 + $0.caplen })
        let ends = spans.map { $0.header + 16 + $0.caplen }
        for cut in 0...3000 {
            switch readAll(Array(file[0..<cut])) {
            case .failure(let error):
                #expect(cut < 4, "cut \(cut): \(error)")
                #expect(error == (cut == 0 ? .empty : .notACapture("not a pcap or pcapng file (only \(cut) bytes: \(file.prefix(cut).map { String(format: "%02x", $0) }.joined(separator: " ")))")))
            case .success(let out):
                #expect(out.frames.count == ends.filter { $0 <= cut }.count, "cut \(cut)")
                #expect(out.isTruncated == !boundaries.contains(cut), "cut \(cut)")
                #expect(!out.isCorrupt)
            }
        }
    }

    @Test func absurdCapturedLengthStopsReading() throws {
        var file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        file.putLE32(0xFFFF_FFF0, at: spans[5].header + 8)
        let out = try readAllOrFail(file)
        #expect(out.frames.count == 5)
        #expect(out.isCorrupt && !out.isTruncated)
        #expect(out.warnings == [
            "stopped reading: record at byte \(spans[5].header) claims 4294967280 captured bytes (more than 262144) (5 frames read)",
        ])
    }

    @Test func largestLegalLengthAtTheEndIsTruncation() throws {
        var file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        file.putLE32(262_144, at: spans[279].header + 8)
        let out = try readAllOrFail(file)
        #expect(out.frames.count == 279)
        #expect(out.isTruncated && !out.isCorrupt)
    }

    @Test func oldVersionsWithSwappedLengths() throws {
        // A 2.2 header: caplen and origlen are stored the other way round.
        var file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        file[6] = 2
        var out = Array(file[0..<24])
        let packet = Array(file[(spans[0].header + 16)..<(spans[0].header + 16 + spans[0].caplen)])
        var header = Array(file[spans[0].header..<(spans[0].header + 16)])
        header.putLE32(5000, at: 8)
        header.putLE32(UInt32(packet.count), at: 12)
        out += header + packet
        let read = try readAllOrFail(out)
        #expect(read.frames.count == 1)
        #expect(read.frames.first?.data == packet)
        #expect(read.frames.first?.originalLength == 5000)
    }

    @Test func headerOnlyAndHalfAHeader() throws {
        let file = try Self.kamailio()
        let empty = try readAllOrFail(Array(file.prefix(24)))
        #expect(empty.frames.isEmpty && empty.warnings.isEmpty && !empty.isTruncated)
        let half = try readAllOrFail(Array(file.prefix(10)))
        #expect(half.frames.isEmpty && half.isTruncated)
        #expect(half.warnings == ["file truncated: the 24-byte pcap file header is incomplete (10 bytes) (0 frames read)"])
    }

    // MARK: Not a capture

    @Test func emptyInput() {
        #expect(throws: CaptureFileError.empty) { try readAll([]).get() }
    }

    @Test func wrongMagicIsExplained() {
        #expect(throws: CaptureFileError.notACapture("not a pcap or pcapng file (starts with 3c 68 74 6d)")) {
            try readAll(Array("<html><body>".utf8)).get()
        }
        #expect(throws: CaptureFileError.notACapture("gzip-compressed data, not a pcap or pcapng file (starts with 1f 8b 08 00)")) {
            try readAll([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0]).get()
        }
        #expect(throws: CaptureFileError.notACapture("unsupported pcap variant (magic 4d 3c 2b a1)")) {
            try readAll([0x4D, 0x3C, 0x2B, 0xA1] + [UInt8](repeating: 0, count: 20)).get()
        }
        #expect(throws: CaptureFileError.notACapture("not a pcapng file: unknown byte-order magic (00 00 00 00)")) {
            try readAll([0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0] + [UInt8](repeating: 0, count: 20)).get()
        }
    }

    @Test func sniffing() throws {
        let pcap = try Self.kamailio()
        var b = PcapngBuilder()
        b.shb()
        var be = PcapngBuilder(bigEndian: true)
        be.shb()
        for good in [pcap, pcapToBigEndian(pcap), pcapToNanoseconds(pcap), pcapToKuznetsov(pcap), b.bytes, be.bytes, Array(b.bytes.prefix(4))] {
            good.withUnsafeBytes { #expect(CaptureFileReader.looksLikeCapture($0)) }
        }
        for bad: [UInt8] in [[], [0xD4, 0xC3, 0xB2], Array("INVITE sip:".utf8), [0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0, 1, 2, 3, 4]] {
            bad.withUnsafeBytes { #expect(!CaptureFileReader.looksLikeCapture($0)) }
        }
    }

    // MARK: pcapng blocks

    @Test func sectionCommentsAndPacketComments() throws {
        var b = PcapngBuilder()
        b.shb(comments: ["recorded at the lab", "second note"])
        b.idb(linkType: 1)
        b.epb(units: 1_000_000, data: payload(1), comments: ["retransmitted"], flags: 1)
        b.epb(units: 2_000_000, data: payload(2, size: 13), flags: 2)
        b.epb(units: 3_000_000, data: payload(3), comments: ["one", "two"])
        let out = try readAllOrFail(b.bytes)
        #expect(out.fileComments == ["recorded at the lab", "second note"])
        #expect(out.frames.map(\.comment) == ["retransmitted", nil, "one\ntwo"])
        #expect(out.frames.map(\.data) == [payload(1), payload(2, size: 13), payload(3)])
        #expect(out.frames.map(\.nanoseconds) == [1_000_000_000, 2_000_000_000, 3_000_000_000])
        #expect(out.warnings.isEmpty)
    }

    @Test func timestampResolutionAndOffset() throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1)                                  // default: microseconds
        b.idb(linkType: 113, tsresol: 9)                    // nanoseconds
        b.idb(linkType: 276, tsresol: 0x80 | 20)            // 2^-20 seconds
        b.idb(linkType: 101, tsresol: 3, tsoffset: 1_000)   // milliseconds, plus 1000 s
        b.idb(linkType: 228, tsresol: 10)                   // tenths of nanoseconds
        b.epb(interface: 0, units: 1_502_941_090_317_366, data: payload(0))
        b.epb(interface: 1, units: 1_502_941_090_317_366_997, data: payload(1))
        b.epb(interface: 2, units: (1_502_941_090 << 20) | (1 << 19), data: payload(2))
        b.epb(interface: 3, units: 1_502_941_090_317, data: payload(3))
        b.epb(interface: 4, units: 15_029_410_903_173_669_971, data: payload(4))
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.map(\.linkType) == [1, 113, 276, 101, 228])
        #expect(out.frames.map(\.interfaceID) == [0, 1, 2, 3, 4])
        #expect(out.frames.map(\.nanoseconds) == [
            1_502_941_090_317_366_000,
            1_502_941_090_317_366_997,
            1_502_941_090_500_000_000,
            1_502_942_090_317_000_000,
            1_502_941_090_317_366_997,
        ])
    }

    /// Resolutions no writer uses must give some time, never a trap.
    @Test(arguments: [0, 9, 19, 28, 29, 30, 127, 0x80, 0x81, 0xBF, 0xC0, 0xE4, 0xFF] as [UInt8])
    func hostileResolutionsDoNotTrap(tsresol: UInt8) throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1, tsresol: tsresol, tsoffset: Int64.max)
        for units: UInt64 in [0, 1, 1 << 63, UInt64.max] { b.epb(units: units, data: payload(1)) }
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.count == 4)
    }

    @Test func exactBinaryAndSecondScales() throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1, tsresol: 0x80 | 63)
        b.idb(linkType: 1, tsresol: 0)
        b.idb(linkType: 1, tsresol: 40)
        b.epb(interface: 0, units: 1 << 63, data: payload(1))   // exactly one second
        b.epb(interface: 1, units: 5, data: payload(2))         // five seconds
        b.epb(interface: 2, units: UInt64.max, data: payload(3)) // far below a nanosecond
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.map(\.nanoseconds) == [1_000_000_000, 5_000_000_000, 0])
    }

    @Test func simpleAndObsoletePacketBlocks() throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1, snaplen: 6)
        b.spb(origlen: 10, data: payload(0))                 // before any timed packet
        b.pb(units: 7_000_000, data: payload(1), comments: ["old style"])
        b.spb(origlen: 4, data: payload(2, size: 4))          // shorter than the snap length
        b.spb(origlen: 100, data: payload(3, size: 8))        // cut by snaplen 6
        b.epb(units: 9_000_000, data: payload(4))
        b.spb(origlen: 100, data: payload(5, size: 3))        // block room (4) < snaplen
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.count == 6)
        #expect(out.frames.map(\.data) == [
            Array(payload(0).prefix(6)), payload(1), payload(2, size: 4), Array(payload(3, size: 8).prefix(6)),
            payload(4), payload(5, size: 3) + [0],
        ])
        #expect(out.frames.map(\.originalLength) == [10, 10, 4, 100, 10, 100])
        #expect(out.frames.map(\.nanoseconds) == [0, 7_000_000_000, 7_000_000_000, 7_000_000_000, 9_000_000_000, 9_000_000_000])
        #expect(out.frames.map(\.comment) == [nil, "old style", nil, nil, nil, nil])
        #expect(out.warnings.isEmpty)
    }

    @Test func otherBlocksAreSkipped() throws {
        var b = PcapngBuilder()
        b.shb()
        b.block(4, b.u16(1) + b.u16(8) + [10, 0, 0, 1] + Array("a\0\0\0".utf8) + b.u16(0) + b.u16(0)) // NRB
        b.idb(linkType: 1)
        b.block(0x0000_0BAD, b.u32(32473) + [1, 2, 3, 4])  // custom
        b.epb(units: 1, data: payload(1))
        b.block(5, b.u32(0) + b.u32(0) + b.u32(0))          // interface statistics
        b.block(0x0A, b.u32(0x544C_534B) + b.u32(4) + [1, 2, 3, 4])  // decryption secrets
        b.block(0x1234_5678, [])                             // unknown, empty body
        b.epb(units: 2, data: payload(2))
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.map(\.data) == [payload(1), payload(2)])
        #expect(out.frames.map(\.frameNumber) == [1, 2])
        #expect(out.warnings.isEmpty && out.skippedRecords == 0)
    }

    @Test func undefinedInterfaceIsSkipped() throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1)
        b.epb(units: 1, data: payload(1))
        b.epb(interface: 3, units: 2, data: payload(2))
        b.epb(units: 3, data: payload(3))
        b.shb()  // interfaces of the first section are gone
        b.epb(units: 4, data: payload(4))
        b.spb(origlen: 10, data: payload(5))
        b.idb(linkType: 101)
        b.epb(units: 6, data: payload(6))
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.map(\.data) == [payload(1), payload(3), payload(6)])
        #expect(out.frames.map(\.linkType) == [1, 1, 101])
        #expect(out.skippedRecords == 3)
        #expect(out.warnings.count == 3)
        #expect(out.warnings.first?.contains("interface 3 is not defined in this section (1 defined)") == true)
        #expect(out.sectionCount == 2)
    }

    @Test func packetLongerThanItsBlockIsSkipped() throws {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1)
        b.epb(units: 1, data: payload(1), caplen: 500)
        b.epb(units: 2, data: payload(2))
        let out = try readAllOrFail(b.bytes)
        #expect(out.frames.map(\.data) == [payload(2)])
        #expect(out.skippedRecords == 1 && out.warnings.count == 1)
    }

    @Test func sectionsInBothByteOrders() throws {
        var le = PcapngBuilder()
        le.shb(comments: ["little"])
        le.idb(linkType: 1, tsresol: 9)
        le.epb(units: 11, data: payload(1))
        var be = PcapngBuilder(bigEndian: true)
        be.shb(comments: ["big"])
        be.idb(linkType: 113, snaplen: 4)
        be.idb(linkType: 276)
        be.epb(interface: 1, units: 22, data: payload(2), comments: ["big-endian comment"])
        be.pb(interface: 0, units: 33, data: payload(3, size: 4))
        be.spb(origlen: 9, data: payload(4))
        let out = try readAllOrFail(le.bytes + be.bytes + le.bytes)
        #expect(out.sectionCount == 3)
        #expect(out.fileComments == ["little", "big", "little"])
        #expect(out.frames.map(\.linkType) == [1, 276, 113, 113, 1])
        #expect(out.frames.map(\.interfaceID) == [0, 1, 0, 0, 0])
        #expect(out.frames.map(\.nanoseconds) == [11, 22_000, 33_000, 33_000, 11])
        #expect(out.frames.map(\.data) == [payload(1), payload(2), payload(3, size: 4), Array(payload(4).prefix(4)), payload(1)])
        #expect(out.frames[1].comment == "big-endian comment")
        #expect(out.warnings.isEmpty)
    }

    // MARK: Lying block lengths

    static func twoPackets(then damage: (inout PcapngBuilder) -> Void) -> [UInt8] {
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1)
        b.epb(units: 1, data: payload(1))
        b.epb(units: 2, data: payload(2))
        damage(&b)
        b.epb(units: 3, data: payload(3))
        return b.bytes
    }

    @Test func blockLengthTooBigIsTruncation() throws {
        let out = try readAllOrFail(Self.twoPackets { $0.block(6, [UInt8](repeating: 0, count: 20), length: 4000) })
        #expect(out.frames.count == 2)
        #expect(out.isTruncated && !out.isCorrupt)
        #expect(out.warnings.count == 1 && out.warnings[0].hasPrefix("file truncated: last block at byte"))
    }

    @Test(arguments: [UInt32(30), 8, 0, 0x7FFF_FFFC, 0xFFFF_FFFF])
    func impossibleBlockLengthStopsReading(length: UInt32) throws {
        let out = try readAllOrFail(Self.twoPackets { $0.block(6, [UInt8](repeating: 0, count: 20), length: length) })
        #expect(out.frames.count == 2)
        #expect(out.isCorrupt && !out.isTruncated)
        #expect(out.warnings.count == 1 && out.warnings[0].hasPrefix("stopped reading: block at byte"))
    }

    @Test func mismatchedTrailingLengthStopsReading() throws {
        let file = Self.twoPackets { $0.block(6, [UInt8](repeating: 0, count: 20), trailer: 36) }
        let out = try readAllOrFail(file)
        // The damaged block is the fourth one (SHB 28 bytes, IDB 32, two EPBs of 44).
        #expect(file.le32(148) == 6 && file.le32(152) == 32)
        #expect(out.frames.count == 2)
        #expect(out.isCorrupt)
        #expect(out.warnings == ["stopped reading: block at byte 148 has length 32 but its trailing length says 36 (2 frames read)"])
    }

    @Test func badFirstSectionHeaderIsNotACapture() {
        var b = PcapngBuilder()
        b.shb(major: 2)
        #expect(throws: CaptureFileError.notACapture("not a usable pcapng file: section header block at byte 0 has unsupported pcapng version 2.0")) {
            try readAll(b.bytes).get()
        }
        var short = PcapngBuilder()
        short.block(0x0A0D_0D0A, short.u32(0x1A2B_3C4D))
        #expect(throws: CaptureFileError.notACapture("not a usable pcapng file: section header block at byte 0 is too short (16 bytes)")) {
            try readAll(short.bytes).get()
        }
    }

    @Test func tooManyWarningsAreCounted() throws {
        var b = PcapngBuilder()
        b.shb()
        for i in 0..<150 { b.epb(units: UInt64(i), data: payload(i)) }
        try b.bytes.withUnsafeBytes { raw in
            var reader = try CaptureFileReader(raw)
            while reader.next() != nil {}
            #expect(reader.skippedRecords == 150)
            #expect(reader.warnings.count == CaptureFileReader.warningLimit)
            #expect(reader.suppressedWarnings == 150 - CaptureFileReader.warningLimit)
        }
    }

    static func mixedPcapng() -> [UInt8] {
        var b = PcapngBuilder()
        b.shb(comments: ["c"])
        b.idb(linkType: 1, snaplen: 64, tsresol: 9)
        for i in 0..<6 { b.epb(units: UInt64(i) * 1000, data: payload(i, size: 7 + i * 5), comments: i == 2 ? ["x"] : []) }
        b.spb(origlen: 20, data: payload(9, size: 20))
        var be = PcapngBuilder(bigEndian: true)
        be.shb()
        be.idb(linkType: 113)
        be.pb(units: 5, data: payload(10, size: 33))
        be.epb(units: 6, data: payload(11, size: 1))
        return b.bytes + be.bytes
    }

    /// Cut a built pcapng after every byte: exactly the packets whose blocks are whole come out.
    @Test func pcapngTruncatedAtEveryOffset() throws {
        let file = Self.mixedPcapng()
        let whole = try readAllOrFail(file)
        #expect(whole.frames.count == 9)
        for cut in 1..<file.count {
            guard case .success(let out) = readAll(Array(file[0..<cut])) else {
                #expect(cut < 4, "cut \(cut) rejected")
                continue
            }
            let expected = whole.positions.filter { $0 <= cut }.count
            #expect(out.frames == Array(whole.frames.prefix(expected)), "cut \(cut)")
            if whole.positions.contains(cut) { #expect(!out.isTruncated, "cut \(cut)") }
            #expect(!out.isCorrupt, "cut \(cut)")
        }
    }

    // MARK: Streaming

    @Test func streamingPcapInChunks() throws {
        let file = try Self.kamailio()
        let whole = try readAllOrFail(file)
        for (chunk, drop) in [(1000, true), (1000, false), (65536, true), (17, true)] {
            let streamed = try readStreaming(file, chunk: chunk, dropConsumed: drop)
            #expect(streamed.frames == whole.frames, "chunk \(chunk) drop \(drop)")
            #expect(!streamed.truncated && streamed.warnings.isEmpty)
        }
    }

    @Test func streamingPcapngByteByByte() throws {
        let file = Self.mixedPcapng()
        let whole = try readAllOrFail(file)
        for chunk in [1, 3, 1000] {
            for drop in [true, false] {
                let streamed = try readStreaming(file, chunk: chunk, dropConsumed: drop)
                #expect(streamed.frames == whole.frames, "chunk \(chunk) drop \(drop)")
            }
        }
    }

    @Test func streamThatEndsInsideARecord() throws {
        let file = try Self.kamailio()
        let spans = pcapRecordSpans(file)
        let cut = spans[10].header + 20
        let streamed = try readStreaming(Array(file[0..<cut]), chunk: 1000)
        #expect(streamed.frames.count == 10)
        #expect(streamed.truncated)
        #expect(streamed.warnings.count == 1)
    }

    @Test func streamingHeaderArrivesLater() throws {
        // The first chunk holds only the magic: the header is read once the rest arrives.
        let file = try Self.kamailio()
        let streamed = try readStreaming(Array(file.prefix(5000)), chunk: 4)
        #expect(streamed.frames == Array(try readAllOrFail(Array(file.prefix(5000))).frames))
    }

    // MARK: Robustness

    /// Random damage to real and built files: reading always ends, without trapping.
    @Test func randomDamageNeverTrapsOrHangs() throws {
        var rng = SplitMix64(state: 0x5EED)
        let pcap = Array(try Self.kamailio().prefix(6000))
        let pcapng = Self.mixedPcapng()
        for round in 0..<1500 {
            var bytes = round % 2 == 0 ? pcap : pcapng
            let edits = Int.random(in: 1...8, using: &rng)
            for _ in 0..<edits {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[at] ^= 0x80
                case 2: if at + 4 <= bytes.count { bytes.putLE32(UInt32.random(in: 0...UInt32.max, using: &rng), at: at) }
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng)))
                }
                if bytes.count < 8 { break }
            }
            if case .success(let out) = readAll(bytes) {
                #expect(out.position <= bytes.count)
                #expect(out.frames.allSatisfy { $0.dataOffset + $0.data.count <= bytes.count })
            }
        }
    }
}
