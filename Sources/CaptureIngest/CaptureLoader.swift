import TraceModel
import WireDecoding

/// What loading one input produced besides messages.
public struct LoadReport: Sendable {
    public var source: String
    public var format: String
    public var frames = 0
    public var warnings: [String] = []
    public var comments: [String] = []
}

/// Reads capture files into a trace model: frames -> decoder -> store.
public enum CaptureLoader {
    /// Loads one file (or "-") into `store`, decoding with `decoder`. Throws only when the input
    /// cannot be read or is not a capture at all; damage inside a capture becomes warnings.
    public static func load(
        _ input: InputBytes, into store: inout TraceStore, decoder: TraceDecoder
    ) throws -> LoadReport {
        var report = LoadReport(source: input.name, format: "")
        try input.withBytes { bytes in
            var reader: CaptureFileReader
            do {
                reader = try CaptureFileReader(bytes)
            } catch CaptureFileError.empty {
                throw InputError("\(input.name): empty file, not a capture")
            } catch CaptureFileError.notACapture(let why) {
                throw InputError("\(input.name): \(why)")
            }
            report.format = (reader.format == .pcap ? "pcap" : "pcapng") + (input.wasCompressed ? ".gz" : "")
            let inputID = store.addInput(input)
            while let frame = reader.next() {
                report.frames += 1
                let interface = frame.interfaceID
                decoder.decode(frame: frame) { store.add($0, input: inputID, interface: interface) }
            }
            decoder.finish { store.add($0, input: inputID) }
            report.warnings = reader.warnings.map { "\(input.name): \($0)" }
            if reader.suppressedWarnings > 0 {
                report.warnings.append("\(input.name): \(reader.suppressedWarnings) more warnings not listed")
            }
            report.comments = reader.fileComments
        }
        return report
    }
}
