import WireDecoding

/// What was read, for the "input" part of every report.
public struct InputSummary: Sendable {
    public struct Source: Sendable {
        public var name: String
        public var format: String
        public var frames: Int
        /// The capture file's own comments (pcapng section header opt_comment).
        public var comments: [String]
        /// This source's own counters, when known apart from the others (listeners).
        public var counters: DecodeCounters?
        public init(name: String, format: String, frames: Int, comments: [String] = [], counters: DecodeCounters? = nil) {
            self.name = name
            self.format = format
            self.frames = frames
            self.comments = comments
            self.counters = counters
        }
    }

    /// What a relay upstream (`--relay`) did with the packets received.
    public struct Relay: Sendable, Equatable {
        public var target: String
        public var forwarded: Int
        public var dropped: Int
        public var connects: Int
        public init(target: String, forwarded: Int, dropped: Int, connects: Int) {
            self.target = target
            self.forwarded = forwarded
            self.dropped = dropped
            self.connects = connects
        }
    }

    public var counters: DecodeCounters
    public var sources: [Source]
    public var warnings: [String]
    /// Sources that could not be read at all (a missing file, a listener that could not
    /// start), each with why: the exit status says there were some, this says which.
    public var failures: [String] = []
    /// What a relay upstream (`--relay`) did with the packets received.
    public var relay: RelayCounters?

    public init(counters: DecodeCounters, sources: [Source], warnings: [String], relay: RelayCounters? = nil) {
        self.counters = counters
        self.sources = sources
        self.warnings = warnings
        self.relay = relay
    }
}
