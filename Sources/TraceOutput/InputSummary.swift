import WireDecoding

/// What was read, for the "input" part of every report.
public struct InputSummary: Sendable {
    public struct Source: Sendable {
        public var name: String
        public var format: String
        public var frames: Int
        public init(name: String, format: String, frames: Int) {
            self.name = name
            self.format = format
            self.frames = frames
        }
    }

    public var counters: DecodeCounters
    public var sources: [Source]
    public var warnings: [String]

    public init(counters: DecodeCounters, sources: [Source], warnings: [String]) {
        self.counters = counters
        self.sources = sources
        self.warnings = warnings
    }
}
