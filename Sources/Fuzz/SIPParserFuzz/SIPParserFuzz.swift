import FuzzSupport
import TraceModel
import WireDecoding

// The SIP parser on arbitrary bytes, as a datagram and as stream data (where a message must be
// whole, and a longer prefix must not change a message already found), then the bytes as a
// UDP datagram in a capture and as SIP inside HEP, through TraceDecoder into the model.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = SIPParser.startsWithStartLine(bytes)

    let datagram = SIPParser.parse(bytes)
    if case .message(let index) = datagram { Check.index(index, parsedFrom: bytes) }
    let stream = SIPParser.parse(bytes, isStream: true)
    if case .message(let index) = stream {
        Check.index(index, parsedFrom: bytes)
        // A stream message is complete: the same bytes as a datagram cut there give the same
        // message, and bytes after it do not change it.
        let whole = SIPParser.parse(bytes.slice(0..<index.length), isStream: true)
        Check.that(whole == .message(index), "stream message changes when cut at its end: \(whole)")
        if case .message = datagram {} else {
            Check.that(false, "a stream message is not a datagram message: \(datagram)")
        }
    }

    var model = ModelProbe()
    let decoder = TraceDecoder()
    let time = Timestamp(seconds: 1_800_000_000, microseconds: 0)
    let frame = FrameBuilder.udp(from: (0x0a00_0001, 5060), to: (0x0a00_0002, 5060), bytes)
    frame.withUnsafeBytes { f in
        decoder.decode(frame: CaptureFrame(data: f, linkType: FrameBuilder.rawIPv4LinkType, timestamp: time,
                                           originalLength: f.count, dataOffset: 0, frameNumber: 1)) { model.add($0) }
    }
    // The same message inside HEP over TCP (a proxy's HEP of a stream) takes the stream framer.
    let hep = hepPacket(carrying: bytes, ipProtocol: 6)
    hep.withUnsafeBytes { h in
        let from = Endpoint(address: .v4(0x0a00_0003), port: 9061), to = Endpoint(address: .v4(0x0a00_0004), port: 9060)
        decoder.decode(datagram: h, from: from, to: to, receivedAt: time, number: 2) { model.add($0) }
    }
    decoder.finish { model.add($0) }
    model.readBack()
    return 0
}

/// A minimal HEP3 packet: protocol, ports, a correlation id and the payload.
func hepPacket(carrying payload: UnsafeRawBufferPointer, ipProtocol: UInt8) -> [UInt8] {
    var p: [UInt8] = Array("HEP3".utf8) + [0, 0]
    func chunk(_ type: UInt16, _ body: [UInt8]) {
        let n = 6 + body.count
        p += [0, 0, UInt8(type >> 8), UInt8(type & 0xff), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
        p += body
    }
    chunk(0x02, [ipProtocol])
    chunk(0x07, [0x13, 0xc4])
    chunk(0x08, [0x13, 0xc4])
    chunk(0x11, Array("fuzz".utf8))
    chunk(0x0f, Array(payload.prefix(65_000)))
    let total = min(p.count, 65_535)
    p[4] = UInt8(total >> 8)
    p[5] = UInt8(total & 0xff)
    return p
}

// Without libFuzzer (a normal build), the target replays the inputs named on its command line.
#if !FUZZING
@main enum Replay {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
