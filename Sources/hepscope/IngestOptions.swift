import ArgumentParser
import CaptureIngest
import LiveIngest
import TraceModel

/// Options shared by the commands that read sources (print, the viewer).
struct IngestOptions: ParsableArguments {
    @Option(help: "Memory budget for the trace model (e.g. 512M, 2G); past it whole correlation groups are dropped, least recently active first. Default: half of physical memory.")
    var memoryLimit: String?

    @Option(name: .customLong("link-header"), help: "Another header whose equal values link call legs (repeatable).")
    var linkHeaders: [String] = []

    @Option(name: .customLong("hep-key"), help: "Accept only HEP packets whose auth key (chunk 0x0e) is KEY; others are dropped and counted.")
    var hepKey: String?

    @Option(help: "Forward every received HEP packet unchanged to udp://HOST:PORT or tcp://HOST:PORT (e.g. your Homer).")
    var relay: String?

    @Option(name: .customLong("write"), help: "Record everything received to this pcap file (HEP over UDP, correlation ids kept).")
    var writePath: String?

    @Option(name: .customLong("write-rotate"), help: "With --write: start a new file past this size (e.g. 100M).")
    var writeRotate: String?

    @Flag(help: "Keep the payloads of messages received live (listeners, pipes) in memory instead of in an unlinked temporary file in $TMPDIR (else /var/tmp, else /tmp).")
    var payloadsInMemory = false

    @Option(parsing: .unconditional, help: "TCP/TLS listeners: connections open at once; more are refused and counted.")
    var maxConnections = 1000

    @Option(parsing: .unconditional, help: "TCP/TLS listeners: close a connection idle (or stuck in a TLS handshake) this many seconds.")
    var idleTimeout = 120.0

    func validate() throws {
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if !(idleTimeout > 0 && idleTimeout <= 86_400 * 365) { throw ValidationError("--idle-timeout must be positive, at most a year") }
        if let m = memoryLimit, MemorySize.parse(m) == nil {
            throw ValidationError("--memory-limit: expected a size such as 512M or 2G, got '\(m)'")
        }
        if let r = writeRotate, MemorySize.parse(r) == nil {
            throw ValidationError("--write-rotate: expected a size such as 100M, got '\(r)'")
        }
        if writeRotate != nil, writePath == nil { throw ValidationError("--write-rotate needs --write FILE") }
        if let relay {
            do { _ = try HEPRelay.parse(relay) } catch { throw ValidationError("--relay: \(error)") }
        }
    }

    var configuration: TraceStore.Configuration {
        .init(linkHeaders: linkHeaders, memoryLimit: memoryLimit.flatMap(MemorySize.parse) ?? MemorySize.defaultLimit)
    }

    /// A session for these options: where live payloads go, besides the model's configuration.
    /// `evictingAside`: over the budget, the model is rebuilt on another thread while this one
    /// goes on (a viewer answering keys, a run with listeners that must keep up with them).
    func session(evictingAside: Bool) -> TraceSession {
        var model = configuration
        model.evictionsByOwner = evictingAside
        var session = TraceSession(configuration: model)
        if payloadsInMemory { session.spoolDirectories = [] }
        return session
    }

    var liveOptions: LiveIngest.Options {
        LiveIngest.Options(hepKey: hepKey.map { Array($0.utf8) }, relay: relay.flatMap { try? HEPRelay.parse($0) },
                           recordPath: writePath, rotateBytes: writeRotate.flatMap(MemorySize.parse),
                           maxConnections: maxConnections, idleTimeout: idleTimeout,
                           backlogBytes: min(256 << 20, max(8 << 20, (configuration.memoryLimit ?? .max) / 2)))
    }

    /// What only listeners do (`--write`, `--relay`) needs a listener among the sources; and a
    /// relay to one of this run's own listeners would send every packet round for ever.
    func checkListenerOptions(against specs: [SourceSpec]) throws {
        if !specs.contains(where: \.isListener) {
            if writePath != nil { throw ValidationError("--write records what listeners receive: give a listener (udp://, tcp://, tls://)") }
            if relay != nil { throw ValidationError("--relay forwards what listeners receive: give a listener (udp://, tcp://, tls://)") }
        }
        guard let relay, let target = try? HEPRelay.parse(relay) else { return }
        if specs.contains(where: { RelayLoop.reaches(target, $0) }) {
            throw ValidationError("--relay \(relay) is this run's own listener: every packet would go round for ever")
        }
    }

    /// SOURCE arguments as files and listeners; none at all means the default loopback listeners.
    static func specs(_ sources: [String]) throws -> [SourceSpec] {
        guard !sources.isEmpty else { return SourceSpec.defaults }
        return try sources.map { s in
            do { return try SourceSpec.parse(s) } catch { throw ValidationError("\(error)") }
        }
    }
}
