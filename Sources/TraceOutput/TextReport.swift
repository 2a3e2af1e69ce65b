#if canImport(Glibc)
import Glibc
#endif
import TraceModel
import WireDecoding

/// The plain-text renderings of `hepscope print`: one line per message, and the summary table.
/// Every value that came off the wire goes through SafeText.
public enum TextReport {
    /// Every call as a ladder diagram, under the same group and call headings.
    public static func ladders(_ store: TraceStore, input: InputSummary, ascii: Bool) -> String {
        var out = ""
        for g in store.orderedGroups {
            let group = store.groups[g]
            out += heading(group, store)
            for c in store.orderedCalls(of: group) {
                out += "\nCall-ID \(callID(c, store))\n"
                out += TextLadder.render(LadderLayout(store: store, messages: store.messages(of: c)),
                                         glyphs: ascii ? .ascii : .unicode)
            }
            out += "\n"
        }
        return out + footer(input) + evictionFooter(store)
    }

    public static func messages(_ store: TraceStore, input: InputSummary) -> String {
        var out = ""
        for g in store.orderedGroups {
            let group = store.groups[g]
            out += heading(group, store)
            for c in store.orderedCalls(of: group) {
                out += "  Call-ID \(callID(c, store))\n"
                for m in store.orderedMessages(of: c) {
                    let r = store.messages[Int(m)]
                    let what = store.methodName(m).map { SafeText.line($0) } ?? String(r.status)
                    out += "    \(clock(r.time))  \(store.endpoints[r.source]) -> \(store.endpoints[r.destination])"
                    out += "  \(r.transport.name)  \(what)  \(SafeText.line(store.cseqText(m) ?? ""))\n"
                }
            }
            for e in store.ordered(group.events) {
                let r = store.messages[Int(e)]
                let text = store.withPayload(of: r) { SafeText.line($0) }
                out += "  event \(clock(r.time))  \(HEPPayloadType.name(r.payloadType))  \(text.prefix(200))\n"
            }
        }
        out += footer(input) + evictionFooter(store)
        return out
    }

    /// A group's correlation id, made safe for a terminal.
    private static func name(of group: CorrelationGroup, _ store: TraceStore) -> String {
        store.correlationID(of: group).map { SafeText.line($0) } ?? "(uncorrelated)"
    }

    /// The line above a group's calls in the ladder and message listings.
    private static func heading(_ group: CorrelationGroup, _ store: TraceStore) -> String {
        // SIP messages and HEP events apart, as --summary and the viewer count them.
        let events = group.events.count
        return "== \(name(of: group, store)): \(counted(group.calls.count, "call")), \(counted(group.messageCount - events, "message"))"
            + (events > 0 ? ", \(counted(events, "event"))\n" : "\n")
    }

    /// "1 call", "2 calls".
    static func counted(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }

    private static func callID(_ call: Int32, _ store: TraceStore) -> String {
        SafeText.line(store.strings.string(store.calls[Int(call)].callID))
    }

    public static func summary(_ store: TraceStore, input: InputSummary) -> String {
        var rows: [[String]] = [["correlation id", "source", "calls", "active", "answered", "failed", "ASR",
                                 "PDD p50/p95 ms", "setup p50 ms", "messages", "events", "first", "last"]]
        var failures: [String] = []
        for g in store.orderedGroups {
            let group = store.groups[g]
            let s = group.statistics
            let groupName = name(of: group, store)
            rows.append([
                groupName, store.sourceName(of: group),
                String(s.calls), String(s.active), String(s.answered), String(s.failed),
                s.answerSeizureRatio.map { percent($0) } ?? "-",
                pair(s.postDialDelay.percentile(0.5), s.postDialDelay.percentile(0.95)),
                s.setupTime.percentile(0.5).map(ms) ?? "-",
                String(group.sessionMessageCount - group.events.count), String(group.events.count),
                group.messageCount > 0 ? clock(store.span(of: group).first) : "-",
                group.messageCount > 0 ? clock(store.span(of: group).last) : "-",
            ])
            if !s.failuresByStatus.isEmpty {
                let list = s.failuresByStatus.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
                failures.append("failures in \(groupName): " + list.joined(separator: ", "))
            }
        }
        var out = table(rows, textColumns: [0, 1, 11, 12])
        for f in failures { out += f + "\n" }
        return out + footer(input) + modelFooter(store)
    }

    static func modelFooter(_ store: TraceStore) -> String {
        let c = store.counters
        var out = ""
        if c.exactDuplicates + c.sightings + c.retransmissions > 0 {
            out += "model: \(c.retransmissions) retransmissions, \(c.sightings) second sightings, "
                + "\(c.exactDuplicates) exact duplicates counted once\n"
        }
        return out + evictionFooter(store)
    }

    /// What the memory budget dropped, under every kind of text output.
    static func evictionFooter(_ store: TraceStore) -> String {
        let c = store.counters
        var out = ""
        if c.evictedCalls > 0 {
            // A filter's model holds the calls shown only: its figures do not count the dropped.
            let stillCounted = store.groups.contains { $0.droppedCalls > 0 } ? "; session figures still count them" : ""
            out += "memory limit: \(counted(c.evictedGroups, "group")) and \(counted(c.evictedCalls, "ended call")) of the newest session "
                + "(\(counted(c.evictedMessages, "message"))) dropped, least recently active first\(stillCounted)\n"
        } else if c.evictedGroups > 0 {
            out += "memory limit: \(counted(c.evictedGroups, "group")) (\(counted(c.evictedMessages, "message"))) dropped, least recently active first\n"
        }
        return out
    }

    static func ms(_ ns: Int64) -> String {
        let tenths = (ns + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func pair(_ a: Int64?, _ b: Int64?) -> String {
        guard let a, let b else { return "-" }
        return "\(ms(a))/\(ms(b))"
    }

    static func percent(_ v: Double) -> String {
        let tenths = Int((v * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    static func footer(_ input: InputSummary) -> String {
        let c = input.counters
        var out = "input: \(c.packets) packets, \(c.sipMessages) SIP messages, \(c.otherEvents) other events, "
        out += "\(c.malformed) malformed, \(c.ignored) ignored"
        if c.hepPackets > 0 { out += "; HEP v1 \(c.hepByVersion[1]), v2 \(c.hepByVersion[2]), v3 \(c.hepByVersion[3])" }
        out += "\n"
        for (reason, n) in c.malformedReasons.sorted(by: { $0.key < $1.key }) {
            out += "  malformed: \(n) \(SafeText.line(reason))\n"
        }
        for (reason, n) in c.droppedReasons.sorted(by: { $0.key < $1.key }) {
            out += "  dropped: \(n) \(SafeText.line(reason))\n"
        }
        for s in input.sources {
            guard let sc = s.counters else { continue }
            out += "source \(SafeText.line(s.name)): \(sc.packets) packets, \(sc.sipMessages) SIP, "
                + "\(sc.otherEvents) events, \(sc.malformed) malformed, \(sc.dropped) dropped"
            if sc.connectionsAccepted > 0 { out += ", \(sc.connectionsAccepted) connections (\(sc.connectionsOpen) open)" }
            out += "\n"
        }
        if let r = input.relay {
            out += "relay \(SafeText.line(r.target)): \(r.forwarded) forwarded, \(r.dropped) dropped, \(r.connects) connections\n"
        }
        for w in input.warnings { out += "warning: \(SafeText.line(w))\n" }
        return out
    }

    static func table(_ rows: [[String]], textColumns: Set<Int> = [0]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for r in rows {
            var line = ""
            for (i, cell) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                // Text left, numbers right.
                line += textColumns.contains(i) ? cell + pad : pad + cell
                if i < r.count - 1 { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// "2026-11-27 01:55:19.662639" in UTC, so output does not depend on the machine's zone.
    public static func clock(_ t: Timestamp) -> String {
        let (whole, nanoseconds) = t.secondsAndNanoseconds
        var seconds = time_t(whole)
        let micros = nanoseconds / 1000
        var tm = tm()
        gmtime_r(&seconds, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var us = String(micros)
        while us.count < 6 { us = "0" + us }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday)) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)).\(us)"
    }
}

