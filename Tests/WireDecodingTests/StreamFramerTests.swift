import Testing
import TestSupport
import WireDecoding

@Suite struct StreamFramerTests {
    /// Real SIP messages from the Kamailio run, as one concatenated stream with keep-alives.
    func realStream() throws -> (stream: [UInt8], messages: Int) {
        var stream: [UInt8] = []
        let packets = try Fixtures.rawHEPPackets().prefix(40)
        for packet in packets {
            let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
            stream += Array(packet[hep.payload!]) + Array("\r\n\r\n".utf8)
        }
        return (stream, packets.count)
    }

    func frame(_ chunks: [[UInt8]]) -> (callIDs: [String], garbage: [String]) {
        var framer = StreamFramer()
        var ids: [String] = [], garbage: [String] = []
        for chunk in chunks {
            chunk.withUnsafeBytes { b in
                framer.append(b) { piece in
                    switch piece {
                    case .sip(let bytes, let index): ids.append(bytes.text(index.callID) ?? "?")
                    case .hep: garbage.append("hep")
                    case .garbage(let why): garbage.append(why)
                    }
                }
            }
        }
        return (ids, garbage)
    }

    @Test func wholeStreamAtOnce() throws {
        let (stream, n) = try realStream()
        let r = frame([stream])
        #expect(r.callIDs.count == n)
        #expect(r.garbage.isEmpty)
    }

    @Test(arguments: [1, 7, 100, 1400])
    func sameMessagesWhateverTheSegmentSize(size: Int) throws {
        let (stream, n) = try realStream()
        let chunks = stride(from: 0, to: stream.count, by: size).map { Array(stream[$0..<min($0 + size, stream.count)]) }
        let whole = frame([stream])
        let r = frame(chunks)
        #expect(r.callIDs == whole.callIDs)
        #expect(r.callIDs.count == n)
    }

    @Test func hepMessagesFramedByLength() throws {
        let packets = try Fixtures.rawHEPPackets().prefix(10)
        let stream = packets.flatMap { $0 }
        var framer = StreamFramer()
        var lengths: [Int] = []
        for size in [3, 500] {
            framer = StreamFramer()
            lengths = []
            for start in stride(from: 0, to: stream.count, by: size) {
                Array(stream[start..<min(start + size, stream.count)]).withUnsafeBytes { b in
                    framer.append(b) { if case .hep(let h) = $0 { lengths.append(h.count) } }
                }
            }
            #expect(lengths == packets.map(\.count))
        }
        #expect(framer.content == .hep)
    }

    @Test func resyncsAfterGarbageBetweenMessages() throws {
        let (stream, n) = try realStream()
        let first = try Fixtures.rawHEPPackets()[0]
        let firstLength = try first.withUnsafeBytes { try HEPDecoder.decode($0) }.payload!.count + 4
        let junk = Array("XYZ garbage line\r\nmore junk\r\n".utf8)
        let r = frame([Array(stream.prefix(firstLength)) + junk, Array(stream.dropFirst(firstLength))])
        #expect(r.callIDs.count == n)
        #expect(r.garbage == ["not SIP on stream"])
    }

    @Test func gapDropsOnlyThePartialMessage() throws {
        let (stream, n) = try realStream()
        var framer = StreamFramer()
        var ids = 0, garbage: [String] = []
        let cut = 1000
        for (i, chunk) in [Array(stream.prefix(cut)), Array(stream.dropFirst(cut + 50))].enumerated() {
            chunk.withUnsafeBytes { b in
                framer.append(b, discontinuity: i == 1) { piece in
                    if case .sip = piece { ids += 1 }
                    if case .garbage(let why) = piece { garbage.append(why) }
                }
            }
        }
        #expect(garbage.first == "TCP gap: partial message dropped")
        // The message cut by the gap and, at most, the one whose start was lost are gone.
        #expect(ids >= n - 2 && ids < n)
    }
}
