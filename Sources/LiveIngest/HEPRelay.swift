import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WireDecoding

/// Forwards every received HEP packet, unchanged, to an upstream collector (Homer, say), so the
/// user can watch locally without breaking their feed. It never makes ingest wait: packets go
/// through a bounded queue and are dropped (and counted) when the upstream cannot keep up or is
/// unreachable; a TCP upstream is reconnected with backoff.
public final class HEPRelay: @unchecked Sendable {
    public enum Target: Sendable, Equatable {
        case udp(host: String, port: Int)
        case tcp(host: String, port: Int)
    }

    public struct Counters: Sendable, Equatable {
        public var forwarded = 0
        public var dropped = 0
        public var connects = 0
    }

    private let target: Target
    private let eventLoop: EventLoop
    private let lock = NIOLock()
    private var inFlight = 0
    private var counters = Counters()
    private var channel: Channel?
    private var address: SocketAddress?
    private var backoff: TimeAmount = .milliseconds(100)
    private var stopped = false
    /// Packets queued or in flight at most; beyond this they are dropped.
    static let limit = 20_000

    public init(target: Target, group: EventLoopGroup) {
        self.target = target
        self.eventLoop = group.next()
    }

    public var snapshot: Counters { lock.withLock { counters } }

    public func start() {
        eventLoop.execute { self.connect() }
    }

    public func stop() {
        let closing: Channel? = lock.withLock {
            stopped = true
            return channel
        }
        try? closing?.close().wait()
    }

    /// Called from any event loop with the packet exactly as received.
    func forward(_ packet: ByteBuffer) {
        let accepted: Bool = lock.withLock {
            guard inFlight < HEPRelay.limit, channel != nil, !stopped else {
                counters.dropped += 1
                return false
            }
            inFlight += 1
            return true
        }
        guard accepted else { return }
        eventLoop.execute { self.write(packet) }
    }

    private func write(_ packet: ByteBuffer) {
        guard let channel = lock.withLock({ channel }) else {
            lock.withLock { inFlight -= 1; counters.dropped += 1 }
            return
        }
        let promise = eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { result in
            self.lock.withLock {
                self.inFlight -= 1
                if case .success = result { self.counters.forwarded += 1 } else { self.counters.dropped += 1 }
            }
        }
        switch target {
        case .udp:
            guard let address else { promise.fail(ChannelError.ioOnClosedChannel); return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: packet), promise: promise)
        case .tcp:
            channel.writeAndFlush(packet, promise: promise)
        }
    }

    private func connect() {
        guard !lock.withLock({ stopped }) else { return }
        switch target {
        case .udp(let host, let port):
            do {
                let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
                self.address = address
                let bindHost = address.protocol == .inet6 ? "::" : "0.0.0.0"
                DatagramBootstrap(group: eventLoop).bind(host: bindHost, port: 0).whenComplete { result in
                    switch result {
                    case .success(let ch): self.connected(ch)
                    case .failure: self.retry()
                    }
                }
            } catch {
                retry()
            }
        case .tcp(let host, let port):
            ClientBootstrap(group: eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(3))
                .connect(host: host, port: port)
                .whenComplete { result in
                    switch result {
                    case .success(let ch):
                        self.connected(ch)
                        ch.closeFuture.whenComplete { _ in
                            self.lock.withLock { if self.channel === ch { self.channel = nil } }
                            self.retry()
                        }
                    case .failure:
                        self.retry()
                    }
                }
        }
    }

    private func connected(_ ch: Channel) {
        lock.withLock {
            channel = ch
            counters.connects += 1
        }
        backoff = .milliseconds(100)
    }

    private func retry() {
        guard !lock.withLock({ stopped }) else { return }
        let delay = backoff
        backoff = min(backoff * 2, .seconds(5))
        eventLoop.scheduleTask(in: delay) { self.connect() }
    }

    /// The counters, as the model's thread keeps them.
    var report: RelayCounters {
        let c = snapshot
        let spec: SourceSpec
        switch target {
        case .udp(let h, let p): spec = .udp(host: h, port: p)
        case .tcp(let h, let p): spec = .tcp(host: h, port: p)
        }
        return RelayCounters(target: spec.displayName, forwarded: c.forwarded, dropped: c.dropped, connects: c.connects)
    }

    public static func parse(_ text: String) throws -> Target {
        guard text.hasPrefix("udp://") || text.hasPrefix("tcp://") else {
            throw SourceSpec.ParseError(description: "\(text): relay to udp://HOST:PORT or tcp://HOST:PORT")
        }
        switch try SourceSpec.parse(text) {
        case .udp(let h, let p): return .udp(host: h, port: p)
        case .tcp(let h, let p): return .tcp(host: h, port: p)
        default: throw SourceSpec.ParseError(description: "\(text): relay to udp://HOST:PORT or tcp://HOST:PORT")
        }
    }
}
