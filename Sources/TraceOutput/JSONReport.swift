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
        inputObject(input, store, &j)
        j.raw("}\n")
        return j.text
    }

    static func group(_ g: CorrelationGroup, _ store: TraceStore, _ j: inout JSONText) {
        j.raw("{")
        j.key("correlation_id"); j.string(store.correlationID(of: g))
        j.raw(","); j.key("correlation_source"); j.string(store.sourceName(of: g))
        j.raw(","); j.key("message_count"); j.number(g.messageCount)
        j.raw(","); j.key("call_count"); j.number(g.calls.count)
        // Calls the memory budget dropped from this session while keeping it (statistics still
        // count them; the lists below do not hold them).
        j.raw(","); j.key("dropped_call_count"); j.number(g.droppedCalls)
        j.raw(","); j.key("dropped_message_count"); j.number(g.droppedMessages)
        let (first, last) = store.span(of: g)
        j.raw(","); j.key("first_time"); j.raw(g.messageCount > 0 ? first.decimalSeconds : "null")
        j.raw(","); j.key("last_time"); j.raw(g.messageCount > 0 ? last.decimalSeconds : "null")
        j.raw(","); j.key("statistics"); statistics(g, store, &j)
        j.raw(","); j.key("calls"); j.raw("[")
        for (ci, c) in store.orderedCalls(of: g).enumerated() {
            if ci > 0 { j.raw(",") }
            let call = store.calls[Int(c)]
            j.raw("{")
            j.key("call_id"); j.string(store.strings.string(call.callID))
            callFacts(c, store, &j)
            j.raw(","); j.key("messages"); j.raw("[")
            for (mi, m) in store.orderedMessages(of: c).enumerated() {
                if mi > 0 { j.raw(",") }
                message(m, store, &j)
            }
            j.raw("]}")
        }
        j.raw("],"); j.key("events"); j.raw("[")
        for (ei, e) in store.ordered(g.events).enumerated() {
            if ei > 0 { j.raw(",") }
            event(e, store, &j)
        }
        j.raw("]}")
    }

    /// Not received as HEP, or received as HEPv1, whose header has no capture id field:
    /// the model's 0 there is a placeholder, not an id a capture agent sent.
    static func captureID(_ o: MessageOrigin) -> UInt32? {
        o.hepVersion == 0 || o.hepVersion == 1 ? nil : o.captureID
    }

    static func common(_ index: Int32, _ store: TraceStore, _ j: inout JSONText) {
        let r = store.messages[Int(index)]
        j.key("time"); j.raw(r.time.decimalSeconds)
        j.raw(","); j.key("src"); j.string(store.endpoints[r.source].description)
        j.raw(","); j.key("dst"); j.string(store.endpoints[r.destination].description)
        j.raw(","); j.key("transport"); j.string(r.transport.name)
        j.raw(","); j.key("correlation_id"); j.string(store.correlationID(ofMessage: index))
        let o = store.origin(of: r)
        j.raw(","); j.key("frame"); j.number(r.frame)
        j.raw(","); j.key("hep_version"); j.number(o.hepVersion == 0 ? nil : o.hepVersion)
        j.raw(","); j.key("capture_id"); j.number(captureID(o))
        j.raw(","); j.key("node"); j.string(o.node == 0 ? nil : store.strings.string(o.node))
        j.raw(","); j.key("length"); j.number(r.payload.length)
        j.raw(","); j.key("comment"); j.string(r.flags.contains(.commented) ? store.comment(of: index) : nil)
    }

    static func message(_ index: Int32, _ store: TraceStore, _ j: inout JSONText) {
        let r = store.messages[Int(index)]
        j.raw("{")
        common(index, store, &j)
        j.raw(","); j.key("method"); j.string(store.methodName(index))
        j.raw(","); j.key("status"); j.number(r.status == 0 ? nil : r.status)
        j.raw(","); j.key("cseq"); j.string(store.cseqText(index))
        j.raw(","); j.key("retransmission"); j.raw(r.isRetransmission ? "true" : "false")
        j.raw(","); j.key("transaction"); j.number(r.transaction)
        j.raw(","); j.key("sightings"); j.raw("[")
        for (i, s) in store.sightings(of: index).enumerated() {
            if i > 0 { j.raw(",") }
            let o = store.origins[Int(s.origin)]
            j.raw("{"); j.key("time"); j.raw(s.time.decimalSeconds)
            j.raw(","); j.key("capture_id"); j.number(captureID(o))
            j.raw(","); j.key("node"); j.string(o.node == 0 ? nil : store.strings.string(o.node))
            j.raw(","); j.key("frame"); j.number(s.frame)
            j.raw(","); j.key("delay_ms"); j.raw(milliseconds(s.delay))
            j.raw("}")
        }
        j.raw("]}")
    }

    static func event(_ index: Int32, _ store: TraceStore, _ j: inout JSONText) {
        let r = store.messages[Int(index)]
        j.raw("{")
        common(index, store, &j)
        j.raw(","); j.key("type"); j.string(HEPPayloadType.name(r.payloadType))
        let call = store.call(ofEvent: index)
        j.raw(","); j.key("call_id"); j.string(call.map { store.strings.string(store.calls[Int($0)].callID) } ?? store.hiddenCallID(ofEvent: index))
        j.raw(","); j.key("payload_type"); j.number(r.payloadType)
        let text = store.withPayload(of: r) { String(showingInvalidUTF8: $0) }
        j.raw(","); j.key("text"); j.string(text)
        j.raw("}")
    }

    static func inputObject(_ input: InputSummary, _ store: TraceStore, _ j: inout JSONText) {
        let c = input.counters
        j.raw("{")
        j.key("exact_duplicates"); j.number(store.counters.exactDuplicates)
        j.raw(","); j.key("sightings"); j.number(store.counters.sightings)
        j.raw(","); j.key("retransmissions"); j.number(store.counters.retransmissions)
        j.raw(","); j.key("evicted_groups"); j.number(store.counters.evictedGroups)
        j.raw(","); j.key("evicted_messages"); j.number(store.counters.evictedMessages)
        j.raw(","); j.key("evicted_calls"); j.number(store.counters.evictedCalls)
        j.raw(",")
        packetCounts(c, &j)
        j.raw(","); j.key("ignored"); j.number(c.ignored)
        j.raw(","); j.key("dropped"); j.number(c.dropped)
        j.raw(","); j.key("dropped_reasons"); countsByName(c.droppedReasons, &j)
        j.raw(","); j.key("hep_packets"); j.raw("{")
        j.key("v1"); j.number(c.hepByVersion[1])
        j.raw(","); j.key("v2"); j.number(c.hepByVersion[2])
        j.raw(","); j.key("v3"); j.number(c.hepByVersion[3])
        j.raw("},"); j.key("malformed_reasons"); countsByName(c.malformedReasons, &j)
        j.raw(","); j.key("sources"); j.raw("[")
        for (i, s) in input.sources.enumerated() {
            if i > 0 { j.raw(",") }
            j.raw("{"); j.key("name"); j.string(s.name)
            j.raw(","); j.key("format"); j.string(s.format)
            j.raw(","); j.key("frames"); j.number(s.frames)
            if let c = s.counters {
                j.raw(","); j.key("counters"); countersObject(c, &j)
            }
            j.raw(","); j.key("comments"); j.strings(s.comments)
            j.raw("}")
        }
        j.raw("],"); j.key("warnings"); j.strings(input.warnings)
        j.raw(","); j.key("failures"); j.strings(input.failures)
        j.raw(","); j.key("relay")
        if let r = input.relay {
            j.raw("{"); j.key("target"); j.string(r.target)
            j.raw(","); j.key("forwarded"); j.number(r.forwarded)
            j.raw(","); j.key("dropped"); j.number(r.dropped)
            j.raw(","); j.key("connects"); j.number(r.connects)
            j.raw("}")
        } else {
            j.raw("null")
        }
        j.raw("}")
    }

    static func countersObject(_ c: DecodeCounters, _ j: inout JSONText) {
        j.raw("{")
        packetCounts(c, &j)
        j.raw(","); j.key("dropped"); j.number(c.dropped)
        j.raw(","); j.key("dropped_reasons"); countsByName(c.droppedReasons, &j)
        j.raw(","); j.key("connections_accepted"); j.number(c.connectionsAccepted)
        j.raw(","); j.key("connections_open"); j.number(c.connectionsOpen)
        j.raw("}")
    }

    /// The counts the whole input and each of its sources share, as fields (no braces).
    private static func packetCounts(_ c: DecodeCounters, _ j: inout JSONText) {
        j.key("packets"); j.number(c.packets)
        j.raw(","); j.key("bytes"); j.number(c.bytes)
        j.raw(","); j.key("sip_messages"); j.number(c.sipMessages)
        j.raw(","); j.key("other_events"); j.number(c.otherEvents)
        j.raw(","); j.key("malformed"); j.number(c.malformed)
    }

    /// `{"reason": count, ...}` in name order, so that equal counts always print the same text.
    private static func countsByName(_ counts: [String: Int], _ j: inout JSONText) {
        j.raw("{")
        for (i, (name, n)) in counts.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { j.raw(",") }
            j.string(name); j.raw(":"); j.number(n)
        }
        j.raw("}")
    }

    static func callFacts(_ index: Int32, _ store: TraceStore, _ j: inout JSONText) {
        let c = store.calls[Int(index)]
        j.raw(","); j.key("kind"); j.string(c.kindKnown ? c.kind.name : nil)
        j.raw(","); j.key("state"); j.string(c.state.name)
        j.raw(","); j.key("final_status"); j.number(c.finalStatus == 0 ? nil : c.finalStatus)
        j.raw(","); j.key("from_user"); j.string(c.fromUser == 0 ? nil : store.strings.string(c.fromUser))
        j.raw(","); j.key("to_user"); j.string(c.toUser == 0 ? nil : store.strings.string(c.toUser))
        j.raw(","); j.key("start_time"); j.raw(c.firstTime.decimalSeconds)
        j.raw(","); j.key("pdd_ms"); j.raw(c.postDialDelay.map(milliseconds) ?? "null")
        j.raw(","); j.key("setup_ms"); j.raw(c.setupTime.map(milliseconds) ?? "null")
        j.raw(","); j.key("duration_ms"); j.raw(c.duration.map(milliseconds) ?? "null")
        j.raw(","); j.key("retransmissions"); j.number(c.retransmissions)
        j.raw(","); j.key("dialogs"); j.number(Int(c.dialogCount))
        j.raw(","); j.key("transactions"); j.number(Int(c.transactionCount))
        j.raw(","); j.key("reinvites"); j.number(c.reinvites)
        j.raw(","); j.key("linked_by"); j.raw("[")
        var links = store.links(of: index).map { (callID: store.strings.string(store.calls[Int($0.other)].callID), header: $0.reason.name(store.strings)) }
        links += store.linksToHiddenCalls(of: index)  // a filter's model: links to the calls it hides
        for (i, link) in links.enumerated() {
            if i > 0 { j.raw(",") }
            j.raw("{"); j.key("call_id"); j.string(link.callID)
            j.raw(","); j.key("header"); j.string(link.header); j.raw("}")
        }
        j.raw("]")
        j.raw(","); j.key("events"); j.number(store.events(of: index).count)
    }

    static func statistics(_ g: CorrelationGroup, _ store: TraceStore, _ j: inout JSONText) {
        let s = g.statistics
        j.raw("{"); j.key("calls"); j.number(s.calls)
        j.raw(","); j.key("active"); j.number(s.active)
        j.raw(","); j.key("answered"); j.number(s.answered)
        j.raw(","); j.key("failed"); j.number(s.failed)
        j.raw(","); j.key("asr"); j.raw(s.answerSeizureRatio.map { String(format3($0)) } ?? "null")
        j.raw(","); j.key("states"); j.raw("{")
        var first = true
        for state in CallState.allCases where s.count(state) > 0 {
            if !first { j.raw(",") }
            first = false
            j.string(state.name); j.raw(":"); j.number(s.count(state))
        }
        j.raw("},"); j.key("failures_by_status"); j.raw("{")
        for (i, (status, n)) in s.failuresByStatus.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { j.raw(",") }
            j.string(String(status)); j.raw(":"); j.number(n)
        }
        j.raw("},"); j.key("pdd_ms"); latency(s.postDialDelay, &j)
        j.raw(","); j.key("setup_ms"); latency(s.setupTime, &j)
        j.raw(","); j.key("duration_ms"); latency(s.duration, &j)
        j.raw(","); j.key("messages"); j.number(g.sessionMessageCount)
        j.raw(","); j.key("rate"); j.raw(store.rate(of: g).map { String(format3($0)) } ?? "null")
        j.raw("}")
    }

    static func latency(_ h: LatencyHistogram, _ j: inout JSONText) {
        j.raw("{"); j.key("count"); j.number(h.count)
        j.raw(","); j.key("p50"); j.raw(h.percentile(0.5).map(milliseconds) ?? "null")
        j.raw(","); j.key("p95"); j.raw(h.percentile(0.95).map(milliseconds) ?? "null")
        j.raw(","); j.key("max"); j.raw(h.count > 0 ? milliseconds(h.maximum) : "null")
        j.raw("}")
    }

    /// Nanoseconds as milliseconds with microsecond precision: "12.345".
    static func milliseconds(_ ns: Int64) -> String {
        let us = ns / 1000
        let sign = us < 0 ? "-" : ""
        let a = abs(us)
        var frac = String(a % 1000)
        while frac.count < 3 { frac = "0" + frac }
        return "\(sign)\(a / 1000).\(frac)"
    }

    static func format3(_ v: Double) -> String {
        let scaled = Int64((v * 1000).rounded())
        var frac = String(abs(scaled) % 1000)
        while frac.count < 3 { frac = "0" + frac }
        return "\(scaled / 1000).\(frac)"
    }
}
