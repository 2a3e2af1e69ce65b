#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import TraceModel
import WireDecoding

// TCP reassembly and stream framing. The input describes one byte stream S and the segments it
// is sent in (any order, overlapping, repeated, some never sent):
//
//   initial sequence (4) | segment count (1) | options (1) | count × (offset 2, length 2, flags 1) | S
//
// Options: bit 0 ends with a FIN; bit 1 leaves out the SYN (a connection picked up mid-stream);
// bit 2 is chaos: each segment's flags byte also sets SYN/FIN/RST and (top bit) the direction.
//
// Properties: without chaos and with the SYN, what the reassembler delivers is exactly the parts
// of S that were sent, each gap marked; with chaos, every delivery is still a piece of S.
// The stream framer cuts S into the same messages whether fed whole or in the delivered pieces.
// Then the frames go through TraceDecoder into the model.

let client: (UInt32, UInt16) = (0x0a00_0001, 5060)
let server: (UInt32, UInt16) = (0x0a00_0002, 5062)
// Every segment may carry most of S, so the work per input grows with the count: 32 still
// reorders, overlaps and repeats freely, at twice the executions per second of 64.
let maximumSegments = 32

struct Segment {
    var offset: Int
    var length: Int
    var flags: UInt8
    var reverse: Bool
}

struct Delivery {
    var bytes: [UInt8]
    var discontinuity: Bool
    var reverse: Bool
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzReader(UnsafeRawBufferPointer(start: data, count: size))
    let isn = input.u32()
    let count = min(Int(input.byte()), maximumSegments)
    let options = input.byte()
    let withFIN = options & 1 != 0, withSYN = options & 2 == 0, chaos = options & 4 != 0
    var specs: [(UInt16, UInt16, UInt8)] = []
    for _ in 0..<count { specs.append((input.u16(), input.u16(), input.byte())) }
    let stream = input.rest()
    let n = stream.count
    let segments = specs.map { spec -> Segment in
        let offset = Int(spec.0) % (n + 1)
        let length = Int(spec.1) % (n - offset + 1)
        let flags: UInt8 = chaos ? spec.2 & 0x07 | 0x18 : 0x18  // ACK|PSH, plus FIN/SYN/RST in chaos
        return Segment(offset: offset, length: length, flags: flags, reverse: chaos && spec.2 & 0x80 != 0)
    }

    // The frames, as a capture would hold them.
    var frames: [[UInt8]] = []
    func frame(_ reverse: Bool, sequence: UInt32, flags: UInt8, _ payload: UnsafeRawBufferPointer) {
        frames.append(reverse ? FrameBuilder.tcp(from: server, to: client, sequence: sequence, flags: flags, payload)
                              : FrameBuilder.tcp(from: client, to: server, sequence: sequence, flags: flags, payload))
    }
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    if withSYN { frame(false, sequence: isn, flags: 0x02, empty) }
    for s in segments {
        // Data on a SYN starts one past its sequence number: keep every byte of S at one place.
        let sequence = isn &+ 1 &+ UInt32(s.offset) &- (s.flags & 0x02 != 0 ? 1 : 0)
        frame(s.reverse, sequence: sequence, flags: s.flags, stream.slice(s.offset..<s.offset + s.length))
    }
    if withFIN { frame(false, sequence: isn &+ 1 &+ UInt32(n), flags: 0x11, empty) }

    let deliveries = reassemble(frames)
    checkReassembly(deliveries, stream, segments, exact: withSYN && !chaos)
    // When all of S arrived in one run, its pieces are another way of cutting the same bytes.
    if withSYN, !chaos, deliveries.allSatisfy({ !$0.discontinuity }),
       deliveries.reduce(0, { $0 + $1.bytes.count }) == n {
        checkFraming(stream, deliveries)
    }

    var model = ModelProbe()
    let decoder = TraceDecoder()
    for (i, f) in frames.enumerated() {
        f.withUnsafeBytes { b in
            let captured = CaptureFrame(data: b, linkType: FrameBuilder.rawIPv4LinkType,
                                        timestamp: Timestamp(seconds: 1_800_000_000, microseconds: Int64(i)),
                                        originalLength: b.count, dataOffset: 0, frameNumber: i + 1)
            decoder.decode(frame: captured) { model.add($0) }
        }
    }
    decoder.finish { model.add($0) }
    model.readBack()
    return 0
}

func reassemble(_ frames: [[UInt8]]) -> [Delivery] {
    var dissector = NetworkDissector()
    var counters = DecodeCounters()
    var deliveries: [Delivery] = []
    func collect(_ s: TransportSegment) {
        Check.that(s.transportProtocol == .tcp, "a TCP frame gave \(s.transportProtocol)")
        deliveries.append(Delivery(bytes: Array(s.payload), discontinuity: s.discontinuity,
                                   reverse: s.source.port == server.1))
    }
    for (i, f) in frames.enumerated() {
        f.withUnsafeBytes { b in
            dissector.dissect(linkType: FrameBuilder.rawIPv4LinkType, frame: b, timestamp: .zero, frameNumber: i + 1,
                              counters: &counters) { s in
                if let o = s.payloadOffsetInFrame {
                    Check.that(o >= 0 && o + s.payload.count <= b.count, "payload offset \(o) past the frame")
                    Check.that(Same.bytes(b.slice(o..<o + s.payload.count), s.payload), "payload offset \(o) points elsewhere")
                }
                collect(s)
            }
        }
    }
    dissector.finish(counters: &counters) { collect($0) }
    Check.that(dissector.trackedTCPFlows == 0, "\(dissector.trackedTCPFlows) flows left after finish")
    return deliveries
}

func checkReassembly(_ deliveries: [Delivery], _ stream: UnsafeRawBufferPointer, _ segments: [Segment], exact: Bool) {
    // Runs: delivered bytes of one direction between gaps.
    var runs: [[UInt8]] = []
    for reverse in [false, true] {
        var run: [UInt8]? = nil
        for d in deliveries where d.reverse == reverse {
            Check.that(!d.bytes.isEmpty, "an empty delivery")
            if d.discontinuity || run == nil {
                if let r = run { runs.append(r) }
                run = d.bytes
            } else {
                run! += d.bytes
            }
        }
        if let r = run { runs.append(r) }
    }
    if exact {
        // The parts of S that were sent, merged, in order.
        var sent: [Range<Int>] = []
        for s in segments.filter({ $0.length > 0 }).sorted(by: { $0.offset < $1.offset }) {
            let r = s.offset..<s.offset + s.length
            if let last = sent.last, r.lowerBound <= last.upperBound {
                sent[sent.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                sent.append(r)
            }
        }
        let expected = sent.map { Array(stream.slice($0)) }
        Check.that(Same.bytes(runs, expected), "delivered runs \(runs.map(\.count)) for sent ranges \(sent)")
        if let first = deliveries.first { Check.that(first.discontinuity == (sent.first?.lowerBound != 0), "gap flag at the start") }
    } else {
        // A connection closed by FIN or RST and opened again by a SYN continues without a gap
        // mark, so runs may join two connections: only each delivery is surely one piece of S.
        for d in deliveries {
            let found = d.bytes.withUnsafeBytes { contains(stream, $0) }
            Check.that(found, "a delivery of \(d.bytes.count) bytes is not part of the stream")
        }
    }
}

/// Whether `needle` occurs in `haystack` (first bytes found with memchr, then compared).
func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
    guard needle.count > 0 else { return true }
    guard needle.count <= haystack.count, let h = haystack.baseAddress, let n = needle.baseAddress else { return false }
    var at = 0
    let last = haystack.count - needle.count
    while at <= last {
        guard let p = memchr(h + at, Int32(needle[0]), last - at + 1) else { return false }
        let i = UnsafeRawPointer(p) - h
        if memcmp(h + i, n, needle.count) == 0 { return true }
        at = i + 1
    }
    return false
}

/// S framed whole and framed in the pieces TCP delivered must give the same messages, unless
/// framing hit garbage (where resynchronisation may legitimately depend on where pieces end).
func checkFraming(_ stream: UnsafeRawBufferPointer, _ deliveries: [Delivery]) {
    func frame(_ pieces: [UnsafeRawBufferPointer]) -> (messages: [[UInt8]], garbage: Bool) {
        var framer = StreamFramer()
        var messages: [[UInt8]] = []
        var garbage = false
        for p in pieces {
            framer.append(p) { piece in
                switch piece {
                case .sip(let b, let index):
                    Check.index(index, parsedFrom: b)
                    Check.that(index.length == b.count, "framed SIP message of \(b.count) bytes indexed as \(index.length)")
                    messages.append(Array(b))
                case .hep(let b):
                    Check.that(b.count >= 6 && b.hasBytes("HEP3"), "framed HEP message without its header")
                    messages.append(Array(b))
                case .garbage:
                    garbage = true
                }
            }
        }
        return (messages, garbage)
    }
    let whole = frame([stream])
    let pieces = deliveries.filter { !$0.reverse }.map(\.bytes)
    let arrays = pieces.map { p -> UnsafeMutableRawBufferPointer in
        let m = UnsafeMutableRawBufferPointer.allocate(byteCount: p.count, alignment: 1)
        m.copyBytes(from: p)
        return m
    }
    defer { arrays.forEach { $0.deallocate() } }
    let split = frame(arrays.map { UnsafeRawBufferPointer($0) })
    if !whole.garbage, !split.garbage {
        Check.that(Same.bytes(whole.messages, split.messages),
                   "framing differs: \(whole.messages.map(\.count)) whole, \(split.messages.map(\.count)) in pieces")
    }
}

// Without libFuzzer (a normal build), the target replays the inputs named on its command line.
#if !FUZZING
@main enum Replay {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
