/// Decoded messages that own their bytes, so a decoding thread can hand them to the thread that
/// owns the trace model. Payloads and HEP strings are packed into one buffer per batch, not one
/// allocation per message.
public struct MessageBatch: Sendable {
    struct Entry: Sendable {
        var timestamp: Timestamp
        var captureTime: Timestamp
        var source: Endpoint
        var destination: Endpoint
        var transport: SIPTransport
        var payloadType: UInt8
        var payload: Range<Int>
        /// The payload range is in the input's bytes, not in the batch (see `referencingInput`).
        var payloadInInput: Bool
        var payloadHash: UInt64
        var sip: SIPMessageIndex?
        var hep: HEPEntry?
        var frameNumber: Int
        var comment: String?
        var inputOffset: Int?
        var interface: Int
    }

    struct HEPEntry: Sendable {
        var version: UInt8
        var captureID: UInt32?
        var displayCaptureID: UInt32?
        var ipProtocol: UInt8?
        var hepTimestamp: Timestamp?
        var correlationID: Range<Int>?
        var nodeName: Range<Int>?
        var authKey: Range<Int>?
        var outerSource: Endpoint?
        var outerDestination: Endpoint?
    }

    private var bytes: [UInt8] = []
    private var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var byteCount: Int { bytes.count }
    /// Memory the batch holds: its byte buffer and its entries, reserved room included.
    public var memoryBytes: Int { bytes.capacity + entries.capacity * MemoryLayout<Entry>.stride }

    /// Copies `m` in. `interface` is the capture interface it came from (pcapng), kept so that
    /// sightings on two interfaces stay apart.
    public mutating func append(_ m: DecodedMessage, interface: Int = 0) {
        append(m, interface: interface, referencingInput: false)
    }

    /// Like `append`, but a payload that sits in the input (`payloadInputOffset`) is not copied:
    /// the batch keeps its offset, and `forEach(input:)` must be given the same input bytes.
    /// For a loader handing batches of a mapped file to the thread that builds the model.
    public mutating func append(_ m: DecodedMessage, interface: Int, referencingInput: Bool) {
        func keep(_ b: UnsafeRawBufferPointer?) -> Range<Int>? {
            guard let b else { return nil }
            let start = bytes.count
            bytes.append(contentsOf: b)
            return start..<bytes.count
        }
        let inInput = referencingInput && m.payloadInputOffset != nil
        let payload = inInput ? m.payloadInputOffset!..<m.payloadInputOffset! + m.payload.count : keep(m.payload)!
        let hep = m.hep.map { h in
            HEPEntry(version: h.version, captureID: h.captureID, displayCaptureID: h.displayCaptureID,
                     ipProtocol: h.ipProtocol, hepTimestamp: h.hepTimestamp, correlationID: keep(h.correlationID),
                     nodeName: keep(h.nodeName), authKey: keep(h.authKey), outerSource: h.outerSource,
                     outerDestination: h.outerDestination)
        }
        entries.append(Entry(timestamp: m.timestamp, captureTime: m.captureTime, source: m.source,
                             destination: m.destination, transport: m.transport, payloadType: m.payloadType,
                             payload: payload, payloadInInput: inInput, payloadHash: m.payloadHash ?? ByteHash.of(m.payload), sip: m.sip, hep: hep, frameNumber: m.frameNumber,
                             comment: m.frameComment, inputOffset: m.payloadInputOffset, interface: interface))
    }

    /// Calls `body` with each message as a borrowed view, in the order they were appended.
    public func forEach(_ body: (DecodedMessage) -> Void) {
        forEachWithInterface { m, _ in body(m) }
    }

    /// Like forEach, with the capture interface of each message. `input` is the input's bytes
    /// for batches built with `referencingInput`.
    public func forEachWithInterface(input: UnsafeRawBufferPointer? = nil, _ body: (DecodedMessage, Int) -> Void) {
        bytes.withUnsafeBytes { all in
            for e in entries {
                let hep = e.hep.map { h in
                    HEPFacts(version: h.version, captureID: h.captureID, displayCaptureID: h.displayCaptureID,
                             ipProtocol: h.ipProtocol, hepTimestamp: h.hepTimestamp,
                             correlationID: h.correlationID.map { all.slice($0) },
                             nodeName: h.nodeName.map { all.slice($0) }, authKey: h.authKey.map { all.slice($0) },
                             outerSource: h.outerSource, outerDestination: h.outerDestination)
                }
                var m = DecodedMessage(timestamp: e.timestamp, captureTime: e.captureTime, source: e.source,
                                       destination: e.destination, transport: e.transport, payloadType: e.payloadType,
                                       payload: e.payloadInInput ? input!.slice(e.payload) : all.slice(e.payload),
                                       sip: e.sip, hep: hep,
                                       frameNumber: e.frameNumber, payloadInputOffset: e.inputOffset)
                m.frameComment = e.comment
                m.payloadHash = e.payloadHash
                body(m, e.interface)
            }
        }
    }
}
