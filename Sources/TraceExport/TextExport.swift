import TraceModel
import TraceOutput
import WireDecoding

/// The `txt` export: each message under one header line, raw but made safe to print.
///
///     ==== 2026-11-27 01:55:19.662639 127.0.0.1:5070 -> 127.0.0.1:5060 UDP correlation tb-run-a
///     INVITE sip:... SIP/2.0
///     ...
public enum TextExport {
    public static func render(_ store: TraceStore, _ selection: ExportSelection) throws(ExportError) -> [UInt8] {
        guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
        var out = ""
        for m in selection.messages {
            let r = store.messages[Int(m)]
            out += "==== \(TextReport.clock(r.time)) \(store.endpoints[r.source]) -> \(store.endpoints[r.destination]) \(r.transport.name)"
            if let c = store.correlationID(ofMessage: m) { out += " correlation \(SafeText.line(c))" }
            if r.call < 0 { out += " event \(HEPPayloadType.name(r.payloadType))" }
            out += "\n"
            out += store.withPayload(of: r) { SafeText.block($0) }
            if !out.hasSuffix("\n") { out += "\n" }
            out += "\n"
        }
        return Array(out.utf8)
    }
}
