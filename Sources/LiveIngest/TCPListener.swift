import NIOCore
import NIOPosix
import NIOSSL
import WireDecoding

/// Frames a byte stream of back-to-back HEPv3 messages by their length field. Anything else is
/// a framing error that ends the connection (scanning for the next "HEP3" could match inside a
/// payload).
struct HEPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct FramingError: Error { var reason: String }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 6 else { return .needMoreData }
        let start = buffer.readerIndex
        guard buffer.getInteger(at: start, as: UInt32.self) == 0x4845_5033 else {
            throw FramingError(reason: "HEP stream out of sync")
        }
        let length = Int(buffer.getInteger(at: start + 4, as: UInt16.self)!)
        guard length >= 6 else { throw FramingError(reason: "HEP3 length below 6") }
        guard buffer.readableBytes >= length else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: length)!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 { throw FramingError(reason: "connection closed inside a HEP message") }
        return .needMoreData
    }
}

/// One TCP or TLS connection's HEP messages.
final class StreamHEPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let sink: ListenerSink
    private let stats: SourceStats
    private var peer = Endpoint.unknown
    private var local = Endpoint.unknown
    private var closed = false
    /// The listener is closing this connection on purpose (idle): what the close stirs up (a
    /// TLS handshake cut short) is no error of the peer's, and the close is counted already.
    private var closingIdle = false
    /// An error already ended this connection: what its close stirs up (TLS tearing down
    /// after a framing error) is the same failure, counted once.
    private var failed = false

    init(sink: ListenerSink, stats: SourceStats) {
        self.sink = sink
        self.stats = stats
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = Endpoint(context.channel.remoteAddress)
        local = Endpoint(context.channel.localAddress)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sink.receive(unwrapInboundIn(data), from: peer, to: local, datagram: false)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sink.flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleCloser.Closing { closingIdle = true }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if closingIdle || failed { return }
        let reason: String
        if let e = error as? NIOSSLError, case .uncleanShutdown = e {
            // Many senders just close the socket without a TLS close_notify: not an error.
            context.close(promise: nil)
            return
        }
        switch error {
        case let e as HEPFrameDecoder.FramingError: reason = e.reason
        case is NIOSSLError, is BoringSSLError: reason = "TLS error"
        case let e as ByteToMessageDecoderError:
            if case .leftoverDataWhenDone = e { reason = "connection closed inside a HEP message" } else { reason = "stream decoding error" }
        default: reason = "connection error"
        }
        // A framing error ends this connection only; the listener and other peers go on.
        failed = true
        sink.decoder.countMalformed(reason)
        context.close(promise: nil)
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        sink.close()
        stats.withExtra { $0.connectionsOpen -= 1 }
    }
}

enum StreamListener {
    struct Limits: Sendable {
        var maxConnections: Int
        var idleTimeout: TimeAmount
    }

    static func bind(host: String, port: Int, group: EventLoopGroup, tls: NIOSSLContext?, stats: SourceStats,
                     limits: Limits, makeSink: @escaping @Sendable () -> ListenerSink) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    // Over the limit: close at once. Memory stays bounded whatever peers do.
                    guard stats.admitConnection(limit: limits.maxConnections) else {
                        channel.close(promise: nil)
                        return
                    }
                    // Idle (no TLS handshake, nothing sent, a message never finished): closed.
                    try ops.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout))
                    try ops.addHandler(IdleCloser(stats: stats))
                    if let tls { try ops.addHandler(NIOSSLServerHandler(context: tls)) }
                    try ops.addHandler(ByteToMessageHandler(HEPFrameDecoder()))
                    try ops.addHandler(StreamHEPHandler(sink: makeSink(), stats: stats))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }

    static func tlsContext(certificate: String, key: String) throws(ListenError) -> NIOSSLContext {
        try ListenError.checkReadable(certificate, as: "certificate")
        try ListenError.checkReadable(key, as: "key")
        let chain: [NIOSSLCertificateSource]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        } catch {
            throw ListenError("certificate \(certificate): not a PEM certificate")
        }
        guard !chain.isEmpty else { throw ListenError("certificate \(certificate): no PEM certificate in it") }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw ListenError("key \(key): not a PEM private key (an encrypted key needs its passphrase removed)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw ListenError("certificate \(certificate) and key \(key) cannot be used together (does the key match the certificate?)")
        }
    }
}

/// Closes a connection that has been idle past the listener's timeout, and counts it.
final class IdleCloser: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    /// Sent down the pipeline just before an idle connection is closed.
    struct Closing {}
    private let stats: SourceStats

    init(stats: SourceStats) { self.stats = stats }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, case .read = idle {
            stats.withExtra { $0.countDropped("idle connection closed") }
            // Told down the pipeline first, so that the connection's handler takes the errors
            // the close may raise (a TLS handshake never finished) for what they are.
            context.fireUserInboundEventTriggered(Closing())
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
