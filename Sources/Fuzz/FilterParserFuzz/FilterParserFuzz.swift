import FuzzSupport
import TraceModel
import WireDecoding

// The filter language on arbitrary text: parsing must end with a filter or an error whose
// position lies inside the text, and a parsed filter must evaluate on a real model without
// trapping (its regular expressions included).

/// A small model to evaluate filters on: one call with a request and a response.
let probeStore: TraceStore = {
    var store = TraceStore()
    let invite = Array(("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
        + "From: <sip:alice@x>;tag=1\r\nTo: <sip:bob@y>\r\nCall-ID: fuzz-1@x\r\nCSeq: 1 INVITE\r\n"
        + "Content-Length: 0\r\n\r\n").utf8)
    let busy = Array(("SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:alice@x>;tag=1\r\n"
        + "To: <sip:bob@y>;tag=2\r\nCall-ID: fuzz-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8)
    for (i, sip) in [invite, busy].enumerated() {
        sip.withUnsafeBytes { b in
            guard case .message(let index) = SIPParser.parse(b) else { return }
            let m = DecodedMessage(timestamp: Timestamp(nanoseconds: Int64(i) * 1_000_000), captureTime: Timestamp(nanoseconds: 0),
                                   source: Endpoint(address: .v4(0x0a00_0001), port: 5060),
                                   destination: Endpoint(address: .v4(0x0a00_0002), port: 5060),
                                   transport: .udp, payloadType: 1, payload: b, sip: index, hep: nil,
                                   frameNumber: i + 1, payloadInputOffset: nil)
            store.add(m)
        }
    }
    return store
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: min(size, 4096)), as: UTF8.self)
    do {
        let filter = try TraceFilter.parse(text)
        _ = filter.matches(call: 0, in: probeStore)
        for m in probeStore.messages.indices { _ = filter.matches(message: Int32(m), in: probeStore) }
    } catch {
        Check.that(error.position >= 0 && error.position <= text.count, "error position \(error.position) outside the text")
        Check.that(!error.message.isEmpty, "an error without a message")
    }
    return 0
}

// Without libFuzzer (a normal build), the target replays the inputs named on its command line.
#if !FUZZING
@main enum Replay {
    static func main() { FuzzReplay.main(fuzz) }
}
#endif
