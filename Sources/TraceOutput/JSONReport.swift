import TraceModel
import WireDecoding

/// `hepscope print --json`: the document scripts rely on. Fields may be added, never renamed or
/// removed (see README, "JSON output").
public enum JSONReport {
    public static func render(_ store: TraceStore, input: InputSummary) -> String {
        var j = JSONText()
        j.raw("{\"groups\":[")
        for (gi, g) in store.orderedGroups.enumerated() {
            if gi > 0 { j.raw(",") }
            group(store.groups[g], store, &j)
        }
        j.raw("],\"input\":")
        inputObject(input, &j)
        j.raw("}\n")
        return j.text
    }

    static func group(_ g: CorrelationGroup, _ store: TraceStore, _ j: inout JSONText) {
        j.raw("{")
        j.key("correlation_id"); j.string(store.correlationID(of: g))
        j.raw(","); j.key("correlation_source"); j.string(g.source.rawValue)
        j.raw(","); j.key("message_count"); j.number(g.messageCount)
        j.raw(","); j.key("call_count"); j.number(g.calls.count)
        j.raw(","); j.key("first_time"); j.raw(g.messageCount > 0 ? g.firstTime.decimalSeconds : "null")
        j.raw(","); j.key("last_time"); j.raw(g.messageCount > 0 ? g.lastTime.decimalSeconds : "null")
        j.raw(","); j.key("calls"); j.raw("[")
        for (ci, c) in store.orderedCalls(of: g).enumerated() {
            if ci > 0 { j.raw(",") }
            let call = store.calls[Int(c)]
            j.raw("{")
            j.key("call_id"); j.string(store.strings.string(call.callID))
            j.raw(","); j.key("messages"); j.raw("[")
            for (mi, m) in store.ordered(call.messages).enumerated() {
                if mi > 0 { j.raw(",") }
                message(store.messages[Int(m)], store, &j)
            }
            j.raw("]}")
        }
        j.raw("],"); j.key("events"); j.raw("[")
        for (ei, e) in store.ordered(g.events).enumerated() {
            if ei > 0 { j.raw(",") }
            event(store.messages[Int(e)], store, &j)
        }
        j.raw("]}")
    }

    static func common(_ r: MessageRecord, _ store: TraceStore, _ j: inout JSONText) {
        j.key("time"); j.raw(r.time.decimalSeconds)
        j.raw(","); j.key("src"); j.string(store.endpoints[r.source].description)
        j.raw(","); j.key("dst"); j.string(store.endpoints[r.destination].description)
        j.raw(","); j.key("transport"); j.string(r.transport.name)
        let g = store.groups[Int(r.group)]
        j.raw(","); j.key("correlation_id"); j.string(store.correlationID(of: g))
        j.raw(","); j.key("frame"); j.number(r.frame)
        j.raw(","); j.key("hep_version"); j.number(r.hepVersion == 0 ? nil : r.hepVersion)
        j.raw(","); j.key("capture_id"); j.number(r.hepVersion == 0 ? nil : r.captureID)
        j.raw(","); j.key("node"); j.string(r.node == 0 ? nil : store.strings.string(r.node))
        j.raw(","); j.key("length"); j.number(r.payload.length)
        j.raw(","); j.key("comment"); j.string(r.comment == 0 ? nil : store.strings.string(r.comment))
    }

    static func message(_ r: MessageRecord, _ store: TraceStore, _ j: inout JSONText) {
        j.raw("{")
        common(r, store, &j)
        j.raw(","); j.key("method"); j.string(store.methodName(r))
        j.raw(","); j.key("status"); j.number(r.status == 0 ? nil : r.status)
        j.raw(","); j.key("cseq"); j.string(store.cseqText(r))
        j.raw("}")
    }

    static func event(_ r: MessageRecord, _ store: TraceStore, _ j: inout JSONText) {
        j.raw("{")
        common(r, store, &j)
        j.raw(","); j.key("type"); j.string(HEPPayloadType.name(r.payloadType))
        j.raw(","); j.key("payload_type"); j.number(r.payloadType)
        let text = store.withPayload(of: r) { String(decoding: $0, as: UTF8.self) }
        j.raw(","); j.key("text"); j.string(text)
        j.raw("}")
    }

    static func inputObject(_ input: InputSummary, _ j: inout JSONText) {
        let c = input.counters
        j.raw("{")
        j.key("packets"); j.number(c.packets)
        j.raw(","); j.key("bytes"); j.number(c.bytes)
        j.raw(","); j.key("sip_messages"); j.number(c.sipMessages)
        j.raw(","); j.key("other_events"); j.number(c.otherEvents)
        j.raw(","); j.key("malformed"); j.number(c.malformed)
        j.raw(","); j.key("ignored"); j.number(c.ignored)
        j.raw(","); j.key("hep_packets"); j.raw("{")
        j.key("v1"); j.number(c.hepByVersion[1])
        j.raw(","); j.key("v2"); j.number(c.hepByVersion[2])
        j.raw(","); j.key("v3"); j.number(c.hepByVersion[3])
        j.raw("},"); j.key("malformed_reasons"); j.raw("{")
        for (i, (reason, n)) in c.malformedReasons.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { j.raw(",") }
            j.string(reason); j.raw(":"); j.number(n)
        }
        j.raw("},"); j.key("sources"); j.raw("[")
        for (i, s) in input.sources.enumerated() {
            if i > 0 { j.raw(",") }
            j.raw("{"); j.key("name"); j.string(s.name)
            j.raw(","); j.key("format"); j.string(s.format)
            j.raw(","); j.key("frames"); j.number(s.frames)
            j.raw(","); j.key("comments"); j.raw("[")
            for (k, c) in s.comments.enumerated() {
                if k > 0 { j.raw(",") }
                j.string(c)
            }
            j.raw("]}")
        }
        j.raw("],"); j.key("warnings"); j.raw("[")
        for (i, w) in input.warnings.enumerated() {
            if i > 0 { j.raw(",") }
            j.string(w)
        }
        j.raw("]}")
    }
}
