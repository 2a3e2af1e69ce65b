import FuzzSupport
import TraceModel
import WireDecoding

// HEP v1/v2/v3 from arbitrary bytes: the decoder on the whole input, then the input cut into
// packets by their HEP3 length (the last one takes the rest), each decoded as a received
// datagram and as UDP to port 9060 in a capture, into one model.

let agent = Endpoint(address: .v4(0x0a00_0001), port: 9061)
let collector = Endpoint(address: .v4(0x0a00_0002), port: 9060)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    checkDecoder(bytes)

    var model = ModelProbe()
    let decoder = TraceDecoder()
    var at = 0
    var number = 0
    while at < bytes.count {
        var end = bytes.count
        let rest = bytes.count - at
        if rest >= 6, bytes.slice(at..<at + 4).hasBytes("HEP3") {
            let length = Int(bytes.be16(at + 4))
            if length >= 6, length <= rest { end = at + length }
        }
        let packet = bytes.slice(at..<end)
        number += 1
        let time = Timestamp(seconds: 1_800_000_000 + Int64(number), microseconds: 0)
        decoder.decode(datagram: packet, from: agent, to: collector, receivedAt: time, number: number) { model.add($0) }
        let frame = FrameBuilder.udp(from: (0x0a00_0001, 9061), to: (0x0a00_0002, 9060), packet)
        frame.withUnsafeBytes { f in
            let captured = CaptureFrame(data: f, linkType: FrameBuilder.rawIPv4LinkType, timestamp: time,
                                        originalLength: f.count, dataOffset: 0, frameNumber: number)
            decoder.decode(frame: captured) { model.add($0) }
        }
        at = end
    }
    decoder.finish { model.add($0) }
    model.readBack()
    return 0
}

/// Every range the decoder returns must lie inside the packet, and the payload it hands out
/// must be the packet's own bytes or its inflated copy.
func checkDecoder(_ bytes: UnsafeRawBufferPointer) {
    _ = HEPDecoder.looksLikeHEP(bytes, allowV1V2: true)
    let packet: HEPPacket
    do {
        packet = try HEPDecoder.decode(bytes)
    } catch {
        _ = error.reason
        return
    }
    let n = bytes.count
    Check.that(packet.version >= 1 && packet.version <= 3, "HEP version \(packet.version)")
    Check.that(packet.trailingBytes >= 0 && packet.trailingBytes <= n, "trailing bytes \(packet.trailingBytes)")
    Check.inside(packet.payload, n, "payload")
    Check.inside(packet.correlationID, n, "correlation id")
    Check.inside(packet.authKey, n, "auth key")
    Check.inside(packet.nodeName, n, "node name")
    let e = packet.extras
    for (name, r) in [("geo location", e.geoLocation), ("transaction type", e.transactionType),
                      ("payload JSON keys", e.payloadJSONKeys), ("tag values", e.tagValues),
                      ("group id", e.groupID), ("extra correlation", e.extraCorrelation)] {
        Check.inside(r, n, name)
    }
    if let inflated = packet.inflatedPayload {
        Check.that(inflated.count <= HEPDecoder.inflateLimit, "inflated to \(inflated.count) bytes")
    }
    packet.withPayload(in: bytes) { payload in
        if packet.inflatedPayload == nil { Check.within(payload, bytes, "HEP payload") }
    }
    _ = packet.displayCaptureID
    _ = packet.transport
    _ = HEPPayloadType.name(packet.payloadType)
}

// Without libFuzzer (a normal build), the target replays the inputs named on its command line.
#if !FUZZING
@main enum Replay {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
