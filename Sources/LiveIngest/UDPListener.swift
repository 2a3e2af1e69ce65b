import NIOCore
import NIOPosix
import WireDecoding

/// Receives HEP datagrams (v1, v2, v3) on one UDP socket.
final class UDPHEPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let sink: ListenerSink
    private var local = Endpoint.unknown

    init(sink: ListenerSink) { self.sink = sink }

    func channelActive(context: ChannelHandlerContext) {
        local = Endpoint(context.channel.localAddress)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        sink.receive(envelope.data, from: Endpoint(envelope.remoteAddress), to: local, datagram: true)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sink.flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram error (e.g. ICMP unreachable echoed back) must not stop the listener.
        sink.decoder.countMalformed("UDP receive error")
    }

    /// Datagrams of up to 65535 bytes, read 32 at a time, with a large kernel buffer so that a
    /// burst is not dropped before we read it.
    static let vectorCount = 32

    static func bind(host: String, port: Int, group: EventLoopGroup, makeSink: @escaping @Sendable () -> ListenerSink) throws -> Channel {
        // No SO_REUSEADDR: on UDP it would let a second process bind the same port and take
        // its traffic without a word; a port in use is an error, as for TCP.
        try DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: vectorCount)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorCount * 65536))
            .channelOption(.maxMessagesPerRead, value: 8)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPHEPHandler(sink: makeSink()))
                }
            }
            .bind(host: host, port: port)
            .flatMap { channel in
                // The kernel caps SO_RCVBUF at net.core.rmem_max (often 4 MiB); a process that
                // may (root, CAP_NET_ADMIN) gets the whole buffer, others keep the capped one.
                let force = ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_RCVBUFFORCE))
                return channel.setOption(force, value: 16 << 20).map { channel }.recover { _ in channel }
            }
            .wait()
    }
}
