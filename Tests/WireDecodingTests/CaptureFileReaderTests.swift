import Foundation
import Testing
import TestSupport
import WireDecoding

/// Real captures: the Kamailio recordings in the repository and the public samples read in place.
/// Counts, byte totals and times below were taken from capinfos/tshark 4.0 on these files.
@Suite struct CaptureFileReaderTests {
    // MARK: Kamailio fixtures

    @Test func hepKamailioUDP() throws {
        let file = try Fixtures.bytes(Fixtures.kamailio("hep-kamailio-udp.pcap"))
        let out = try readAllOrFail(file)
        #expect(out.format == .pcap)
        #expect(out.frames.count == 280)
        #expect(out.frames.first?.linkType == 1)
        #expect(out.frames.first?.nanoseconds == 1_795_744_519_662_680_000)
        #expect(out.frames.last?.nanoseconds == 1_795_744_522_178_417_000)
        #expect(out.frames.map(\.data.count).reduce(0, +) == 181_756)
        #expect(out.frames.map(\.frameNumber) == Array(1...280))
        #expect(out.warnings.isEmpty && !out.isTruncated && !out.isCorrupt && out.skippedRecords == 0)
        #expect(out.position == file.count)
    }

    @Test(arguments: [
        ("hep-kamailio-udp.pcap", 280),
        ("sip-plain-udp.pcap", 590),
        ("sip-plain-tcp.pcap", 481),
    ])
    func kamailioMatchesPlainRecordWalk(name: String, frames: Int) throws {
        let file = try Fixtures.bytes(Fixtures.kamailio(name))
        let out = try readAllOrFail(file)
        let spans = pcapRecordSpans(file)
        #expect(spans.count == frames)
        #expect(out.frames.count == frames)
        // Each frame is exactly the bytes after its record header, with the offset to find them.
        for (frame, span) in zip(out.frames, spans) {
            #expect(frame.dataOffset == span.header + 16)
            #expect(frame.data == Array(file[(span.header + 16)..<(span.header + 16 + span.caplen)]))
            #expect(frame.originalLength == Int(file.le32(span.header + 12)))
            #expect(frame.interfaceID == 0 && frame.comment == nil && frame.linkType == 1)
        }
    }

    /// Every SIP frame Wireshark listed in the truth file has the same time here.
    @Test(arguments: ["hep-kamailio-udp", "sip-plain-udp", "sip-plain-tcp"])
    func kamailioTimesMatchTruth(name: String) throws {
        let file = try Fixtures.bytes(Fixtures.kamailio("\(name).pcap"))
        let truthData = try Data(contentsOf: Fixtures.kamailio("\(name).truth.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: truthData) as? [String: Any])
        let messages = try #require(truth["messages"] as? [[String: Any]])
        let out = try readAllOrFail(file)
        #expect(!messages.isEmpty)
        for message in messages {
            let number = try #require(message["frame"] as? Int)
            let time = try #require(message["time"] as? String)
            try #require(number >= 1 && number <= out.frames.count)
            #expect(out.frames[number - 1].nanoseconds == nanoseconds(fromDecimal: time), "frame \(number)")
        }
    }

    // MARK: Public captures

    struct PublicCase: Sendable, CustomStringConvertible {
        var name: String
        var format: CaptureFormat
        var linkType: UInt32
        var frames: Int
        var capturedBytes: Int
        var firstTime: String
        var lastTime: String
        var description: String { name }
    }

    static let publicCases: [PublicCase] = [
        .init(name: "hep-wireshark_hep.pcap", format: .pcap, linkType: 1, frames: 8, capturedBytes: 4760,
              firstTime: "1481455196.141619000", lastTime: "1481455202.927723000"),
        .init(name: "hep-wireshark_hep3_compressed.pcapng", format: .pcapng, linkType: 113, frames: 21, capturedBytes: 16533,
              firstTime: "1502941090.317366997", lastTime: "1502941090.723781897"),
        .init(name: "heplify_erspan_sip_ipv4_udp.pcapng", format: .pcapng, linkType: 1, frames: 140, capturedBytes: 108_200,
              firstTime: "1526006114.962510000", lastTime: "1526006149.957697000"),
        .init(name: "heplify_ipip0.pcap", format: .pcap, linkType: 101, frames: 8, capturedBytes: 5933,
              firstTime: "1774015992.783378000", lastTime: "1774015994.733898000"),
        .init(name: "sngrep_ipv6frag.pcap", format: .pcap, linkType: 113, frames: 34, capturedBytes: 30761,
              firstTime: "1647926426.047902000", lastTime: "1647926590.661924000"),
        .init(name: "heplify_sip_ipv4_tcp_retrans.pcap", format: .pcap, linkType: 113, frames: 196, capturedBytes: 43819,
              firstTime: "1507433574.088315000", lastTime: "1507433582.710700000"),
        .init(name: "heplify_sip_sctp.pcap", format: .pcap, linkType: 113, frames: 5, capturedBytes: 3352,
              firstTime: "1579813424.069607000", lastTime: "1579813424.187847000"),
        // Its last record's seconds field is above 2^31: read as unsigned, as Wireshark does.
        .init(name: "heplify_sip_ipv6_udp.pcap", format: .pcap, linkType: 1, frames: 6, capturedBytes: 3586,
              firstTime: "1328589362.251758000", lastTime: "3867576602.251758000"),
        .init(name: "heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", format: .pcap, linkType: 1, frames: 7217, capturedBytes: 1_471_505,
              firstTime: "1228468937.630923000", lastTime: "1228469046.884194000"),
        .init(name: "sngrep_aaa.pcap", format: .pcap, linkType: 1, frames: 691, capturedBytes: 99997,
              firstTime: "1120469540.839312000", lastTime: "1120471107.427770000"),
    ]

    @Test(.enabled(if: Fixtures.publicCapturesFolder != nil), arguments: publicCases)
    func publicCapture(_ c: PublicCase) throws {
        let url = try #require(Fixtures.publicCapture(c.name))
        let file = try Fixtures.bytes(url)
        let out = try readAllOrFail(file)
        #expect(out.format == c.format)
        #expect(out.frames.count == c.frames)
        #expect(out.frames.allSatisfy { $0.linkType == c.linkType && $0.interfaceID == 0 })
        #expect(out.frames.map(\.data.count).reduce(0, +) == c.capturedBytes)
        #expect(out.frames.first?.nanoseconds == nanoseconds(fromDecimal: c.firstTime))
        #expect(out.frames.last?.nanoseconds == nanoseconds(fromDecimal: c.lastTime))
        #expect(out.warnings.isEmpty && !out.isTruncated && !out.isCorrupt && out.skippedRecords == 0)
        #expect(out.position == file.count)
        #expect(out.sectionCount == (c.format == .pcapng ? 1 : 0))
        file.withUnsafeBytes { #expect(CaptureFileReader.looksLikeCapture($0)) }
    }

    /// The frame data of a pcapng file sits where dataOffset says.
    @Test(.enabled(if: Fixtures.publicCapturesFolder != nil))
    func pcapngDataOffsets() throws {
        let file = try Fixtures.bytes(try #require(Fixtures.publicCapture("heplify_erspan_sip_ipv4_udp.pcapng")))
        let out = try readAllOrFail(file)
        #expect(out.frames.count == 140)
        for f in out.frames {
            #expect(Array(file[f.dataOffset..<(f.dataOffset + f.data.count)]) == f.data)
        }
    }

    /// Two real files back to back: the second section header starts afresh.
    @Test(.enabled(if: Fixtures.publicCapturesFolder != nil))
    func concatenatedSections() throws {
        let a = try Fixtures.bytes(try #require(Fixtures.publicCapture("hep-wireshark_hep3_compressed.pcapng")))
        let b = try Fixtures.bytes(try #require(Fixtures.publicCapture("heplify_erspan_sip_ipv4_udp.pcapng")))
        let out = try readAllOrFail(a + b)
        #expect(out.sectionCount == 2)
        #expect(out.frames.count == 21 + 140)
        #expect(out.frames.prefix(21).allSatisfy { $0.linkType == 113 })
        #expect(out.frames.dropFirst(21).allSatisfy { $0.linkType == 1 })
        #expect(out.frames.map(\.frameNumber) == Array(1...161))
        #expect(out.frames[21].nanoseconds == nanoseconds(fromDecimal: "1526006114.962510000"))
        #expect(out.frames[21].dataOffset > a.count)
        #expect(out.warnings.isEmpty)
    }

    @Test(.enabled(if: Fixtures.publicCapturesFolder != nil))
    func streamingPcapngInChunks() throws {
        let file = try Fixtures.bytes(try #require(Fixtures.publicCapture("heplify_erspan_sip_ipv4_udp.pcapng")))
        let whole = try readAllOrFail(file)
        for chunk in [1000, 4096] {
            let streamed = try readStreaming(file, chunk: chunk)
            #expect(streamed.frames == whole.frames)
            #expect(!streamed.truncated && streamed.warnings.isEmpty)
        }
    }
}
