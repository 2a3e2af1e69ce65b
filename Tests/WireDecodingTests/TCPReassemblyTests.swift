import Testing
@testable import WireDecoding

/// TCP stream reassembly on hand-built segments of one direction 10.0.0.1:40000 -> 10.0.0.2:5060.
@Suite struct TCPReassemblyTests {
    typealias P = NetPacket
    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, fin: UInt8 = 0x11, rst: UInt8 = 0x04

    @Test func outOfOrderSegmentsWaitForTheGap() {
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("aaaa")),
            P.tcpFrame(seq: 1009, P.bytes("cccc")),
            P.tcpFrame(seq: 1013, P.bytes("dddd")),
            P.tcpFrame(seq: 1005, P.bytes("bbbb")),
        ])
        #expect(run.segments.map(\.text) == ["aaaa", "bbbb", "cccc", "dddd"])
        // Held data keeps the frame and time it was captured in.
        #expect(run.segments.map(\.frameNumber) == [2, 5, 3, 4])
        #expect(run.segments.map(\.timestamp.nanoseconds) == [1, 4, 2, 3].map { $0 * 1_000_000_000 })
        #expect(run.segments.map { $0.payloadOffsetInFrame != nil } == [true, true, false, false])
        #expect(run.segments.allSatisfy { !$0.discontinuity })
        // SYN carries nothing for us; the out-of-order frames were held, not ignored.
        #expect(run.counters.ignored == 1)
        #expect(run.counters.malformed == 0)
    }

    @Test func retransmissionsAndPartialOverlapsAreTrimmed() {
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("abcdef")),
            P.tcpFrame(seq: 1001, P.bytes("abcdef")),  // full repeat
            P.tcpFrame(seq: 1004, P.bytes("defGHI")),  // half old
            P.tcpFrame(seq: 1013, P.bytes("MN")),  // held
            P.tcpFrame(seq: 1013, P.bytes("MN")),  // held twice: kept once
            P.tcpFrame(seq: 1008, P.bytes("HIJKLMN")),  // fills the gap and overlaps what is held
            P.tcpFrame(seq: 1002, P.bytes("b")),  // old
        ])
        let stream = run.segments.map(\.text).joined()
        #expect(stream == "abcdefGHIJKLMN")
        #expect(run.segments.map(\.text) == ["abcdef", "GHI", "JKLMN"])
        // Offset of "GHI" inside frame 4: Ethernet 14 + IPv4 20 + TCP 20 + 3 old bytes.
        #expect(run.segments[1].payloadOffsetInFrame == 57)
        #expect(run.counters.ignored == 3)  // SYN and the two pure repeats
    }

    @Test func sequenceNumbersWrapAround() {
        let first = [UInt8](repeating: 0x61, count: 20), second = [UInt8](repeating: 0x62, count: 10)
        let third = [UInt8](repeating: 0x63, count: 5)
        // 0xFFFFFFF1 + 20 = 2^32 + 5.
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 0xFFFF_FFF0, flags: Self.syn, []),
            P.tcpFrame(seq: 0x0000_000F, third),  // beyond the wrap and a gap: held
            P.tcpFrame(seq: 0xFFFF_FFF1, first),
            P.tcpFrame(seq: 0x0000_0005, second),
            P.tcpFrame(seq: 0xFFFF_FFFB, Array(first.suffix(10))),  // repeat across the wrap
        ])
        #expect(run.segments.map(\.payload) == [first, second, third])
        #expect(run.segments.map(\.frameNumber) == [3, 4, 2])
        #expect(run.segments.allSatisfy { !$0.discontinuity })
    }

    @Test func gapBeyondTheBufferLimitIsGivenUp() {
        var limits = NetworkLimits()
        limits.maximumTCPBufferedBytes = 100
        let a = [UInt8](repeating: 0x61, count: 10), b = [UInt8](repeating: 0x62, count: 60)
        let c = [UInt8](repeating: 0x63, count: 60), d = [UInt8](repeating: 0x64, count: 5)
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, a),
            // 10 bytes at 1011 never arrive.
            P.tcpFrame(seq: 1021, b),  // held: 60
            P.tcpFrame(seq: 1081, c),  // held: 120 > 100, the gap is skipped
            P.tcpFrame(seq: 1011, [UInt8](repeating: 0x7a, count: 10)),  // too late: behind the stream now
            P.tcpFrame(seq: 1141, d),
        ], limits: limits)
        #expect(run.segments.map(\.payload) == [a, b, c, d])
        #expect(run.segments.map(\.discontinuity) == [false, true, false, false])
        #expect(run.segments.map(\.frameNumber) == [2, 3, 4, 6])
    }

    @Test func finishFlushesHeldDataAsDiscontinuous() {
        let frames = [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("head")),
            P.tcpFrame(seq: 1100, P.bytes("tail")),
            P.tcpFrame(seq: 1104, P.bytes("more")),
        ]
        let withoutFinish = NetTest.run(frames: frames, finish: false)
        #expect(withoutFinish.segments.map(\.text) == ["head"])
        let run = NetTest.run(frames: frames)
        #expect(run.segments.map(\.text) == ["head", "tail", "more"])
        #expect(run.segments.map(\.discontinuity) == [false, true, false])
    }

    @Test func midStreamPickupAndRestartAreFlagged() {
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 5000, P.bytes("middle")),  // no SYN seen
            P.tcpFrame(seq: 5006, P.bytes("next")),
            P.tcpFrame(seq: 90000, flags: Self.syn, []),  // new connection, same addresses
            P.tcpFrame(seq: 90001, P.bytes("fresh")),
            P.tcpFrame(seq: 90000, flags: Self.syn, []),  // repeated SYN changes nothing
            P.tcpFrame(seq: 90006, P.bytes("!")),
        ])
        #expect(run.segments.map(\.text) == ["middle", "next", "fresh", "!"])
        #expect(run.segments.map(\.discontinuity) == [true, false, true, false])
    }

    @Test func finAndResetForgetTheFlow() {
        var dissector = NetworkDissector()
        var counters = DecodeCounters()
        var texts: [String] = []
        func feed(_ frame: [UInt8]) {
            frame.withUnsafeBytes { raw in
                dissector.dissect(linkType: 1, frame: raw, timestamp: .zero, frameNumber: 0, counters: &counters) {
                    texts.append(String(decoding: $0.payload, as: UTF8.self))
                }
            }
        }
        feed(P.tcpFrame(seq: 10, flags: Self.syn, []))
        #expect(dissector.trackedTCPFlows == 1)
        feed(P.tcpFrame(seq: 11, P.bytes("bye")))
        feed(P.tcpFrame(seq: 14, flags: Self.fin, []))
        #expect(dissector.trackedTCPFlows == 0)

        // A FIN that overtakes data: the flow stays until the data is in.
        feed(P.tcpFrame(seq: 100, flags: Self.syn, [], sourcePort: 40001))
        feed(P.tcpFrame(seq: 105, flags: Self.fin | 0x08, P.bytes("end"), sourcePort: 40001))
        #expect(dissector.trackedTCPFlows == 1)
        feed(P.tcpFrame(seq: 101, P.bytes("the "), sourcePort: 40001))
        #expect(dissector.trackedTCPFlows == 0)

        // Reset: held data goes out at once and the flow is dropped.
        feed(P.tcpFrame(seq: 200, flags: Self.syn, [], sourcePort: 40002))
        feed(P.tcpFrame(seq: 210, P.bytes("late"), sourcePort: 40002))
        feed(P.tcpFrame(seq: 300, flags: Self.rst, [], sourcePort: 40002))
        #expect(dissector.trackedTCPFlows == 0)
        // A reset from the other side ends this side too.
        feed(P.tcpFrame(seq: 400, P.bytes("ping"), sourcePort: 40003))
        #expect(dissector.trackedTCPFlows == 1)
        feed(P.ethernet(0x0800, P.ipv4(P.serverIP, P.clientIP, proto: 6, P.tcp(5060, 40003, seq: 9, flags: Self.rst, []))))
        #expect(dissector.trackedTCPFlows == 0)
        #expect(texts == ["bye", "the ", "end", "late", "ping"])
    }

    @Test func flowTableIsCapped() {
        var limits = NetworkLimits()
        limits.maximumTCPFlows = 8
        var frames: [[UInt8]] = []
        for port in 0..<20 { frames.append(P.tcpFrame(seq: 1, P.bytes("x"), sourcePort: UInt16(30000 + port))) }
        // Held data of an evicted flow still comes out.
        frames.insert(P.tcpFrame(seq: 50, P.bytes("y"), sourcePort: 30000), at: 1)
        var dissector = NetworkDissector(limits: limits)
        var counters = DecodeCounters()
        var out: [(UInt16, String, Bool)] = []
        for f in frames {
            f.withUnsafeBytes { raw in
                dissector.dissect(linkType: 1, frame: raw, timestamp: .zero, frameNumber: 0, counters: &counters) {
                    out.append(($0.source.port, String(decoding: $0.payload, as: UTF8.self), $0.discontinuity))
                }
                #expect(dissector.trackedTCPFlows <= 8)
            }
        }
        #expect(out.count == 21)
        #expect(out.filter { $0.1 == "y" }.map(\.0) == [30000])
        #expect(out.filter { $0.1 == "y" }.map(\.2) == [true])
    }

    @Test func tcpHeaderChecks() {
        var badOffset = P.tcpFrame(seq: 1, P.bytes("x"))
        badOffset[14 + 20 + 12] = 0x40
        var longOffset = P.tcpFrame(seq: 1, P.bytes("x"))
        longOffset[14 + 20 + 12] = 0xf0
        let cut = P.ethernet(0x0800, P.ipv4(P.clientIP, P.serverIP, proto: 6, Array(P.tcp(1, 2, seq: 1, []).prefix(19))))
        let run = NetTest.run(frames: [badOffset, longOffset, cut])
        #expect(run.segments.isEmpty)
        #expect(run.counters.malformedReasons == ["bad tcp header length": 1, "short tcp header": 2])
    }

    @Test func aRetransmissionAfterTheFinIsDropped() {
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("BYE")),
            P.tcpFrame(seq: 1004, flags: Self.fin, []),
            P.tcpFrame(seq: 1001, P.bytes("BYE")),  // the last bytes again, after the FIN
            P.tcpFrame(seq: 1004, flags: Self.fin, []),  // and the FIN
        ])
        #expect(run.segments.map(\.text) == ["BYE"])
        #expect(run.counters.ignored == 4)
    }

    @Test func bytesPastAClosedStreamStartAnew() {
        let run = NetTest.run(frames: [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("old")),
            P.tcpFrame(seq: 1004, flags: Self.fin, []),
            P.tcpFrame(seq: 7000, P.bytes("new")),  // another connection, its SYN not captured
        ])
        #expect(run.segments.map(\.text) == ["old", "new"])
        #expect(run.segments.map(\.discontinuity) == [false, true])
        // Its first sequence number may as well fall before the old end: far before, it is new.
        let below = NetTest.run(frames: [
            P.tcpFrame(seq: 1_000_000, flags: Self.syn, []),
            P.tcpFrame(seq: 1_000_001, P.bytes("old")),
            P.tcpFrame(seq: 1_000_004, flags: Self.fin, []),
            P.tcpFrame(seq: 1_000_001, P.bytes("old")),  // sent again
            P.tcpFrame(seq: 500, P.bytes("new ")),
            P.tcpFrame(seq: 504, P.bytes("again")),
        ])
        #expect(below.segments.map(\.text) == ["old", "new ", "again"])
    }

    @Test func connectionEndsAreReported() {
        let server: (UInt8) -> [UInt8] = { flags in
            P.ethernet(0x0800, P.ipv4(P.serverIP, P.clientIP, proto: 6, P.tcp(5060, 40001, seq: 9, flags: flags, [])))
        }
        let frames = [
            P.tcpFrame(seq: 1000, flags: Self.syn, []),
            P.tcpFrame(seq: 1001, P.bytes("one")),
            P.tcpFrame(seq: 1004, P.bytes("two")),
            P.tcpFrame(seq: 1007, flags: Self.fin, []),
            P.tcpFrame(seq: 1007, flags: Self.fin, []),  // repeated: ended once
            P.tcpFrame(seq: 5000, flags: Self.syn, []),  // the same addresses again
            P.tcpFrame(seq: 5001, P.bytes("three")),
            P.tcpFrame(seq: 100, P.bytes("four"), sourcePort: 40001),
            server(Self.rst),  // ends both directions of port 40001 (the server's had no bytes)
            P.tcpFrame(seq: 800, P.bytes("five"), sourcePort: 40002),
            P.tcpFrame(seq: 60000, flags: Self.syn, [], sourcePort: 40002),  // replaces it, no FIN seen
        ]
        let run = NetTest.run(frames: frames, reportsConnectionEnds: true)
        #expect(run.segments.map { $0.endsConnection ? "end \($0.source.port)" : $0.text }
            == ["one", "two", "end 40000", "three", "four", "end 40001", "five", "end 40002"])
        #expect(run.segments.filter(\.endsConnection).allSatisfy { $0.payload.isEmpty })
        // Without asking, no empty segments.
        #expect(NetTest.run(frames: frames).segments.map(\.text) == ["one", "two", "three", "four", "five"])
    }

    @Test func closedDirectionsMakeRoomBeforeOpenOnes() {
        var limits = NetworkLimits()
        limits.maximumTCPFlows = 8
        var frames = [P.tcpFrame(seq: 1000, flags: Self.syn, []), P.tcpFrame(seq: 1001, P.bytes("idle "))]
        for port in 0..<40 {  // many short connections while the first one is idle
            frames.append(P.tcpFrame(seq: 1, flags: Self.fin | 0x08, P.bytes("x"), sourcePort: UInt16(30000 + port)))
        }
        frames.append(P.tcpFrame(seq: 1006, P.bytes("still here")))
        let run = NetTest.run(frames: frames, limits: limits, reportsConnectionEnds: true)
        let first = run.segments.filter { $0.source.port == 40000 }
        #expect(first.map(\.text) == ["idle ", "still here"])
        #expect(first.map(\.discontinuity) == [false, false])
        #expect(run.segments.filter(\.endsConnection).count == 40)
    }

    /// Thousands of tiny segments behind one gap: held up to a count, then the gap is given
    /// up, in time linear in their number.
    @Test func heldSegmentsAreCappedInNumber() {
        var limits = NetworkLimits()
        limits.maximumTCPHeldSegments = 4
        var frames = [P.tcpFrame(seq: 1000, flags: Self.syn, []), P.tcpFrame(seq: 1001, P.bytes("a"))]
        // 1002 never arrives; 1003... come one byte each, the last ones first.
        for seq in (1003...1008).reversed() { frames.append(P.tcpFrame(seq: UInt32(seq), [UInt8(ascii: "c") + UInt8(seq - 1003)])) }
        let run = NetTest.run(frames: frames, limits: limits)
        // The fifth held segment (1004) gives up the gap: 1004-1008 come out in order, 1003 is
        // behind the stream by then.
        #expect(run.segments.map(\.text).joined() == "adefgh")
        #expect(run.segments.map(\.discontinuity) == [false, true, false, false, false, false])

        var many = [P.tcpFrame(seq: 1000, flags: Self.syn, [])]
        for seq in 0..<20_000 { many.append(P.tcpFrame(seq: UInt32(1002 + seq), [0x78])) }
        let big = NetTest.run(frames: many)
        #expect(big.segments.count == 20_000)
        #expect(big.segments.map(\.payload.count).reduce(0, +) == 20_000)
    }
}
