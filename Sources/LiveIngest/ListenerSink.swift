#if canImport(Glibc)
import Glibc
#endif
import CaptureIngest
import NIOCore
import WireDecoding

/// Where one listening channel (a UDP socket, or one TCP/TLS connection) puts what it receives:
/// decoded into a batch for the model's thread, forwarded to the relay, written to the recording.
/// Used on that channel's event loop only.
final class ListenerSink {
    let source: Int
    let queue: IngestQueue
    let stats: SourceStats
    let relay: HEPRelay?
    let recorder: CaptureRecorder?
    let decoder = TraceDecoder()
    private let id: Int
    private var batch = MessageBatch()
    private var received = 0
    private let backlogBytes: Int

    /// Past this many waiting events (or `backlogBytes` of them) the viewer is not keeping up:
    /// batches are dropped and counted rather than letting memory grow or the network side wait.
    static let queueLimit = 50_000

    init(source: Int, queue: IngestQueue, stats: SourceStats, relay: HEPRelay?, recorder: CaptureRecorder?, hepKey: [UInt8]?,
         backlogBytes: Int) {
        self.source = source
        self.backlogBytes = backlogBytes
        self.queue = queue
        self.stats = stats
        self.relay = relay
        self.recorder = recorder
        decoder.requiredAuthKey = hepKey
        id = stats.register()
    }

    /// One received HEP packet (a datagram, or one framed stream message).
    func receive(_ buffer: ByteBuffer, from: Endpoint, to: Endpoint, datagram: Bool) {
        let now = LiveClock.now()
        received += 1
        relay?.forward(buffer)
        buffer.withUnsafeReadableBytes { bytes in
            recorder?.record(bytes, from: from, to: to, at: now)
            if datagram {
                decoder.decode(datagram: bytes, from: from, to: to, receivedAt: now, number: received) { batch.append($0) }
            } else {
                decoder.decode(hepMessage: bytes, from: from, to: to, receivedAt: now, number: received) { batch.append($0) }
            }
        }
        if batch.count >= 1024 { flush() }
    }

    /// Hands the batch over; called after each burst of reads.
    func flush() {
        if !batch.isEmpty {
            if queue.pendingCount > ListenerSink.queueLimit || queue.pendingBytes > backlogBytes {
                decoder.countDropped("viewer queue full", batch.count)
            } else {
                queue.post(.batch(source: source, batch))
            }
            batch = MessageBatch()
        }
        stats.update(id, decoder.counters)
    }

    func close() {
        flush()
        stats.close(id, final: decoder.counters)
    }
}

enum LiveClock {
    static func now() -> Timestamp {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Timestamp(seconds: Int64(t.tv_sec), nanoseconds: Int64(t.tv_nsec))
    }
}

extension Endpoint {
    /// The address and port of a NIO socket address (unknown for Unix sockets).
    init(_ address: SocketAddress?) {
        switch address {
        case .v4(let a):
            let raw = UInt32(bigEndian: a.address.sin_addr.s_addr)
            self.init(address: .v4(raw), port: UInt16(bigEndian: a.address.sin_port))
        case .v6(let a):
            var sin6 = a.address
            let (hi, lo) = withUnsafeBytes(of: &sin6.sin6_addr) { b in (b.be64(0), b.be64(8)) }
            self.init(address: .v6(high: hi, low: lo), port: UInt16(bigEndian: a.address.sin6_port))
        default:
            self = .unknown
        }
    }
}
