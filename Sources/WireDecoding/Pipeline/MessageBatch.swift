/// Decoded messages that own their bytes, so a decoding thread can hand them to the thread that
/// owns the trace model. Payloads and HEP strings are packed into one buffer per batch, not one
/// allocation per message.
///
/// A batch carries what the trace model keeps of a message, no more: of the HEP header, the
/// version, IP protocol, capture id, correlation id and node name (not the auth key, the
/// outer addresses or the HEP time, which has already become the message's timestamp). Every
/// entry is written by one core and read by another, so its size is memory traffic.
public struct MessageBatch: Sendable {
    struct Entry: Sendable {
        var timestamp: Timestamp
        var captureTime: Timestamp
        var source: Endpoint
        var destination: Endpoint
        var payloadStart: Int
        var inputOffset: Int      // -1: none
        var frameNumber: Int
        var digest: MessageDigest
        var payloadCount: UInt32
        var interface: UInt32
        var hepCaptureID: UInt32
        var hepCorrelation: CompactRange
        var hepNode: CompactRange
        var transport: SIPTransport
        var payloadType: UInt8
        /// The payload range is in the input's bytes, not in the batch (see `referencingInput`).
        var payloadInInput: Bool
        var hasComment: Bool
        var hepVersion: UInt8     // 0: not HEP
        var hepIPProtocol: UInt8
        var hasHEPCaptureID: Bool
        var hasHEPIPProtocol: Bool
        var sip: SIPMessageIndex?
    }

    private var bytes: [UInt8] = []
    private var entries: [Entry] = []
    /// Where the batch's bytes were also written, whole, in an input (a spool file of a live
    /// session): messages whose payload the batch copied then say it sits there, at this
    /// offset plus its place in the batch, and a model keeps an offset instead of a copy.
    public var bytesInInput: Int?
    /// Where frame comments (pcapng, rare) sit in `bytes`: by entry position.
    private var comments: [Int: CompactRange] = [:]

    public init() {}

    /// A batch with room for `count` messages made at once, not by doubling as they come.
    public init(capacity count: Int) {
        entries.reserveCapacity(count)
    }

    public var count: Int { entries.count }

    /// The batch's own bytes (copied payloads, HEP strings, comments), to be written elsewhere.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
    public var isEmpty: Bool { entries.isEmpty }
    public var byteCount: Int { bytes.count }
    /// Memory the batch holds: its byte buffer and its entries, reserved room included.
    public var memoryBytes: Int { bytes.capacity + entries.capacity * MemoryLayout<Entry>.stride }

    /// Keeps the first `n` messages only (a run told to stop after so many). The bytes stay
    /// as they are: where they were also written (`bytesInInput`) still matches them.
    public mutating func keepFirst(_ n: Int) {
        guard n < entries.count else { return }
        entries.removeLast(entries.count - max(0, n))
        comments = comments.filter { $0.key < entries.count }
    }

    /// Copies `m` in. `interface` is the capture interface it came from (pcapng), kept so that
    /// sightings on two interfaces stay apart.
    public mutating func append(_ m: DecodedMessage, interface: Int = 0) {
        append(m, interface: interface, referencingInput: false)
    }

    /// Like `append`, but a payload that sits in the input (`payloadInputOffset`) is not copied:
    /// the batch keeps its offset, and `forEach(input:)` must be given the same input bytes.
    /// For a loader handing batches of a mapped file to the thread that builds the model.
    public mutating func append(_ m: DecodedMessage, interface: Int, referencingInput: Bool) {
        func keep(_ b: UnsafeRawBufferPointer?) -> CompactRange {
            guard let b else { return .none }
            let start = bytes.count
            bytes.append(contentsOf: b)
            return CompactRange(start..<bytes.count)
        }
        let inInput = referencingInput && m.payloadInputOffset != nil
        let payloadStart: Int
        if inInput {
            payloadStart = m.payloadInputOffset!
        } else {
            payloadStart = bytes.count
            bytes.append(contentsOf: m.payload)
        }
        let h = m.hep
        if let comment = m.frameComment {
            var text = comment.text
            comments[entries.count] = text.withUTF8 { keep(UnsafeRawBufferPointer($0)) }
        }
        entries.append(Entry(
            timestamp: m.timestamp, captureTime: m.captureTime, source: m.source, destination: m.destination,
            payloadStart: payloadStart, inputOffset: m.payloadInputOffset ?? -1, frameNumber: m.frameNumber,
            digest: m.digest ?? MessageDigest(payload: m.payload, sip: m.sip),
            payloadCount: UInt32(truncatingIfNeeded: m.payload.count), interface: UInt32(truncatingIfNeeded: interface),
            hepCaptureID: h?.displayCaptureID ?? 0, hepCorrelation: keep(h?.correlationID), hepNode: keep(h?.nodeName),
            transport: m.transport, payloadType: m.payloadType, payloadInInput: inInput,
            hasComment: m.frameComment != nil, hepVersion: h?.version ?? 0, hepIPProtocol: h?.ipProtocol ?? 0,
            hasHEPCaptureID: h?.displayCaptureID != nil, hasHEPIPProtocol: h?.ipProtocol != nil, sip: m.sip))
    }

    /// Calls `body` with each message's Call-ID bytes and their `ByteHash` (nil and 0 for a
    /// message without one) and its endpoints, in order: a quick first pass for a model that
    /// looks them all up before it takes the messages one by one.
    public func forEachKey(input: UnsafeRawBufferPointer? = nil,
                           _ body: (_ callID: UnsafeRawBufferPointer?, _ hash: UInt64, Endpoint, Endpoint) -> Void) {
        bytes.withUnsafeBytes { all in
            entries.withUnsafeBufferPointer { list in
                guard let first = list.baseAddress else { return }
                for i in 0..<list.count {
                    let e = first + i
                    var callID: UnsafeRawBufferPointer?
                    if let r = e.pointee.sip?.callID {
                        let start = e.pointee.payloadStart
                        callID = (e.pointee.payloadInInput ? input! : all).slice(start + r.lowerBound..<start + r.upperBound)
                    }
                    body(callID, e.pointee.digest.callID, e.pointee.source, e.pointee.destination)
                }
            }
        }
    }

    /// Calls `body` with each message as a borrowed view, in the order they were appended.
    public func forEach(_ body: (DecodedMessage) -> Void) {
        forEachWithInterface { m, _ in body(m) }
    }

    /// Like forEach, with the capture interface of each message. `input` is the input's bytes
    /// for batches built with `referencingInput`.
    public func forEachWithInterface(input: UnsafeRawBufferPointer? = nil, _ body: (DecodedMessage, Int) -> Void) {
        bytes.withUnsafeBytes { all in
            entries.withUnsafeBufferPointer { list in
                guard let first = list.baseAddress else { return }
                for i in 0..<list.count {
                    // Fields are read in place: a copy of each entry would be a second trip
                    // through memory the other core just wrote.
                    let e = first + i
                    let payloadRange = e.pointee.payloadStart..<e.pointee.payloadStart + Int(e.pointee.payloadCount)
                    var hep: HEPFacts?
                    if e.pointee.hepVersion != 0 {
                        hep = HEPFacts(
                            version: e.pointee.hepVersion, captureID: nil,
                            displayCaptureID: e.pointee.hasHEPCaptureID ? e.pointee.hepCaptureID : nil,
                            ipProtocol: e.pointee.hasHEPIPProtocol ? e.pointee.hepIPProtocol : nil, hepTimestamp: nil,
                            correlationID: e.pointee.hepCorrelation.range.map { all.slice($0) },
                            nodeName: e.pointee.hepNode.range.map { all.slice($0) }, authKey: nil,
                            outerSource: nil, outerDestination: nil)
                    }
                    var m = DecodedMessage(
                        timestamp: e.pointee.timestamp, captureTime: e.pointee.captureTime, source: e.pointee.source,
                        destination: e.pointee.destination, transport: e.pointee.transport,
                        payloadType: e.pointee.payloadType,
                        payload: e.pointee.payloadInInput ? input!.slice(payloadRange) : all.slice(payloadRange),
                        sip: e.pointee.sip, hep: hep, frameNumber: e.pointee.frameNumber,
                        payloadInputOffset: e.pointee.payloadInInput || bytesInInput == nil
                            ? (e.pointee.inputOffset < 0 ? nil : e.pointee.inputOffset)
                            : bytesInInput! + e.pointee.payloadStart)
                    if e.pointee.hasComment, let r = comments[i]?.range { m.frameComment = FrameComment(utf8: all.slice(r)) }
                    m.digest = e.pointee.digest
                    body(m, Int(e.pointee.interface))
                }
            }
        }
    }
}
