import TraceModel
import WireDecoding

/// Feeds decoded messages to a trace model, checking each on the way in, and reads the whole
/// model back afterwards, so that what the decoders let through is fuzzed one layer further.
public struct ModelProbe {
    public private(set) var store = TraceStore()
    public private(set) var added = 0

    public init() {}

    /// Registers the bytes that messages' `payloadInputOffset` refer to.
    public mutating func addInput(_ source: any PayloadSource) -> UInt16 { store.addInput(source) }

    public mutating func add(_ m: DecodedMessage, input: UInt16 = 0, interface: Int = 0) {
        Check.that(m.payload.count == 0 || m.payload.baseAddress != nil, "payload without memory")
        if let sip = m.sip {
            Check.index(sip, parsedFrom: m.payload)
            Check.that(sip.length == m.payload.count, "SIP payload of \(m.payload.count) bytes indexed as \(sip.length)")
            Check.that(sip.callID != nil, "SIP message without Call-ID handed to the model")
        }
        store.add(m, input: input, interface: interface)
        added += 1
    }

    /// Reads everything a renderer would, and checks the model's books balance.
    public func readBack() {
        let c = store.counters
        Check.that(store.messages.count + c.exactDuplicates + c.sightings + c.evictedMessages == added,
                   "\(added) added, \(store.messages.count) kept, \(c.exactDuplicates) duplicates, \(c.sightings) sightings")
        var seen = 0
        for g in store.orderedGroups {
            let group = store.groups[g]
            let span = store.span(of: group)
            Check.that(span.first <= span.last, "group span runs backwards")
            _ = store.correlationID(of: group)
            _ = store.rate(of: group)
            for call in store.orderedCalls(of: group) {
                _ = store.links(of: call)
                for e in store.events(of: call) { Check.that(store.call(ofEvent: e) != nil, "event of a call without one") }
                for message in store.orderedMessages(of: call) {
                    let record = store.messages[Int(message)]
                    seen += 1
                    _ = record.time.decimalSeconds
                    Check.that(store.payload(of: record).count == Int(record.payload.length), "stored payload length")
                    _ = store.methodName(message)
                    _ = store.cseqText(message)
                    _ = store.comment(of: message)
                    _ = store.correlationID(ofMessage: message)
                    _ = store.sightings(of: message)
                }
            }
            for e in group.events {
                seen += 1
                _ = store.payload(of: store.messages[Int(e)])
            }
        }
        Check.that(seen == store.messages.count, "\(store.messages.count) messages kept, \(seen) reachable from groups")
    }
}
