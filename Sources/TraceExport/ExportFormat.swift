import TraceModel
import TraceOutput
import WireDecoding

/// The formats `hepscope save` writes, chosen by name or by the file's extension.
public enum ExportFormat: String, CaseIterable, Sendable {
    case pcap, pcapng, txt, json, ladder, mermaid, svg, html

    public static func fromExtension(_ path: String) -> ExportFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".ladder.txt") { return .ladder }
        guard let dot = lower.lastIndex(of: ".") else { return nil }
        switch lower[lower.index(after: dot)...] {
        case "pcap", "cap": return .pcap
        case "pcapng", "ntar": return .pcapng
        case "txt", "log": return .txt
        case "json": return .json
        case "mmd", "mermaid": return .mermaid
        case "svg": return .svg
        case "html", "htm": return .html
        default: return nil
        }
    }

    /// The bytes of `selection` in this format.
    public func render(_ store: TraceStore, _ selection: ExportSelection, decapsulate: Bool = false,
                       ascii: Bool = false, filterText: String? = nil, input: InputSummary? = nil) throws(ExportError) -> [UInt8] {
        switch self {
        case .pcap: return try CaptureExport.render(store, selection, kind: .pcap, decapsulate: decapsulate, filterText: filterText)
        case .pcapng: return try CaptureExport.render(store, selection, kind: .pcapng, decapsulate: decapsulate, filterText: filterText)
        case .txt: return try TextExport.render(store, selection)
        case .json:
            guard !selection.isEmpty else { throw ExportError("nothing to save: the selection is empty") }
            // The same document as `print --json`, for the selected messages only.
            let keep = Set(selection.messages)
            let subset = store.shown { keep.contains($0) }
            let summary = input ?? InputSummary(counters: DecodeCounters(), sources: [], warnings: [])
            return Array(JSONReport.render(subset, input: summary).utf8)
        case .ladder: return try LadderExport.text(store, selection, ascii: ascii)
        case .mermaid: return try LadderExport.mermaid(store, selection)
        case .svg: return try LadderExport.svg(store, selection)
        case .html: return try LadderExport.html(store, selection)
        }
    }
}
