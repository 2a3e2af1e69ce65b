import CaptureIngest
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import WireDecoding

/// Runs the network listeners on SwiftNIO's event loops and hands what they decode to the
/// model's thread through an IngestQueue. Ingest never waits on that thread.
public final class LiveIngest: @unchecked Sendable {
    public struct Options: Sendable {
        public var hepKey: [UInt8]?
        public var relay: HEPRelay.Target?
        public var recordPath: String?
        public var rotateBytes: Int?
        /// Stream connections open at once per listener; more are closed at once and counted.
        public var maxConnections: Int
        /// A stream connection that sends nothing for this long (or never finishes its TLS
        /// handshake, or stalls inside a message) is closed and counted.
        public var idleTimeout: Double
        /// Decoded messages waiting for the model may hold this much at most; past it, new ones
        /// are dropped and counted ("viewer queue full") instead of memory growing.
        public var backlogBytes: Int

        public init(hepKey: [UInt8]? = nil, relay: HEPRelay.Target? = nil, recordPath: String? = nil, rotateBytes: Int? = nil,
                    maxConnections: Int = 1000, idleTimeout: Double = 120, backlogBytes: Int = 256 << 20) {
            self.backlogBytes = backlogBytes
            self.hepKey = hepKey
            self.relay = relay
            self.recordPath = recordPath
            self.rotateBytes = rotateBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
        }
    }

    private let queue: IngestQueue
    private let options: Options
    private let group: MultiThreadedEventLoopGroup
    public let relay: HEPRelay?
    public let recorder: CaptureRecorder?
    private let lock = NIOLock()
    private var channels: [Channel] = []
    private var stats: [(source: Int, stats: SourceStats)] = []
    private var reporter: RepeatedTask?
    private var recordFlusher: RepeatedTask?
    private var stopped = false

    public init(queue: IngestQueue, options: Options = Options()) throws {
        self.queue = queue
        self.options = options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        self.group = group
        relay = options.relay.map { HEPRelay(target: $0, group: group) }
        recorder = try options.recordPath.map { try CaptureRecorder(path: $0, rotateBytes: options.rotateBytes) }
        relay?.start()
    }

    /// Counters reach the model's thread ten times a second, whatever the traffic; what is
    /// being recorded reaches its file once a second, so that the file can be read during the
    /// run and a crash loses at most that second.
    private func startReporter() {
        lock.withLock {
            guard reporter == nil else { return }
            reporter = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [weak self] _ in
                self?.postCounters()
            }
            if let recorder {
                recordFlusher = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                    recorder.flush()
                }
            }
        }
    }

    /// Binds a listener for source number `source`; returns the address it is bound to (port 0
    /// picks a free port, as tests do).
    @discardableResult
    public func start(_ spec: SourceSpec, source: Int) throws -> SocketAddress? {
        startReporter()
        let sourceStats = SourceStats()
        let makeSink: @Sendable () -> ListenerSink = { [queue, relay, recorder, options] in
            ListenerSink(source: source, queue: queue, stats: sourceStats, relay: relay, recorder: recorder, hepKey: options.hepKey,
                         backlogBytes: options.backlogBytes)
        }
        let channel: Channel
        switch spec {
        case .file:
            throw SourceSpec.ParseError(description: "\(spec.displayName) is a file, not a listener")
        case .udp(let host, let port):
            do { channel = try UDPHEPHandler.bind(host: host, port: port, group: group, makeSink: makeSink) } catch {
                throw ListenError.binding(host: host, error)
            }
        case .tcp(let host, let port), .tls(let host, let port, _, _):
            var tls: NIOSSLContext?
            if case .tls(_, _, let cert, let key) = spec { tls = try StreamListener.tlsContext(certificate: cert, key: key) }
            do {
                channel = try StreamListener.bind(host: host, port: port, group: group, tls: tls, stats: sourceStats,
                                                  limits: streamLimits, makeSink: makeSink)
            } catch {
                throw ListenError.binding(host: host, error)
            }
        }
        lock.withLock {
            channels.append(channel)
            stats.append((source, sourceStats))
        }
        return channel.localAddress
    }

    /// What starting a listener came to: the listener as bound (its port when port 0 asked
    /// for a free one), or why it could not start.
    public enum Started: Sendable, Equatable {
        case listening(SourceSpec)
        case failed(String)
    }

    /// Starts a listener; when it cannot, the reason ("udp://...: cannot listen: why") is
    /// posted as the source's failure, as a loader's would be, and returned for saying at once.
    public func startOrSayWhy(_ spec: SourceSpec, source: Int) -> Started {
        do {
            let address = try start(spec, source: source)
            return .listening(address?.port.map { spec.withPort($0) } ?? spec)
        } catch {
            let why = "\(spec.displayName): cannot listen: \(error)"
            queue.post(.failed(source: source, why))
            return .failed(why)
        }
    }

    /// Closes every listener and connection, hands over what was still pending, and stops the
    /// event loops.
    public func stop() {
        let open: [Channel]? = lock.withLock {
            guard !stopped else { return nil }
            stopped = true
            let c = channels
            channels = []
            return c
        }
        guard let open else { return }
        for c in open { try? c.close().wait() }
        reporter?.cancel()
        recordFlusher?.cancel()
        relay?.stop()
        // Shutting the loops down closes the remaining connections; their handlers flush first.
        try? group.syncShutdownGracefully()
        recorder?.close()
        postCounters()
    }

    private var streamLimits: StreamListener.Limits {
        .init(maxConnections: options.maxConnections, idleTimeout: .milliseconds(Int64(options.idleTimeout * 1000)))
    }

    private func postCounters() {
        for (source, s) in lock.withLock({ stats }) {
            queue.post(.counters(source: source, s.snapshot()))
        }
        if let relay { queue.post(.relay(relay.report)) }
    }
}
