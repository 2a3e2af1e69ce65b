import ArgumentParser

/// When a run that listens (or replays a pipe) ends on its own, for the commands that print or
/// save what it received; without either it lasts until Ctrl-C.
struct RunLimits: ParsableArguments {
    @Option(parsing: .unconditional, help: "With listeners: stop after this many seconds, then print or save what was received.")
    var duration: Double?

    @Option(parsing: .unconditional, help: "With listeners: stop after this many SIP messages and HEP events.")
    var count: Int?

    func validate() throws {
        if let duration, !(duration > 0 && duration <= 86_400 * 365) { throw ValidationError("--duration must be positive, at most a year") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }
}
