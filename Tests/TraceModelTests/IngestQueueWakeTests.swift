import CaptureIngest
import Foundation
import Testing
import TestSupport
import WireDecoding

#if canImport(Glibc)
import Glibc
#endif

/// A consumer that sleeps in poll() on the wake-up descriptor must be woken for every event
/// posted, however posts and drains interleave.
@Suite struct IngestQueueWakeTests {
    /// Counters are snapshots: the newest of each source goes ahead of a backlog of batches,
    /// and replaces an older one not yet taken.
    @Test func countersOvertakeABacklog() {
        let queue = IngestQueue()
        for i in 0..<100 { queue.post(.progress(source: 0, done: i, total: 100)) }
        var old = DecodeCounters(), new = DecodeCounters()
        old.packets = 1
        new.packets = 2
        queue.post(.counters(source: 1, old))
        queue.post(.counters(source: 1, new))
        queue.post(.relay(RelayCounters(target: "udp://127.0.0.1:9", forwarded: 5)))
        #expect(queue.pendingCount == 100)
        let first = queue.drain(upTo: 10)
        #expect(first.count == 12)
        guard case .relay(let r) = first[0], case .counters(1, let c) = first[1], case .progress(0, 0, 100) = first[2] else {
            Issue.record("\(first.prefix(3))")
            return
        }
        #expect(r.forwarded == 5 && c.packets == 2)
        #expect(queue.drain().count == 90)
    }

    @Test func everyPostWakesAConsumerBlockedInPoll() {
        let queue = IngestQueue()
        let total = 100_000
        let producer = Thread {
            for i in 0..<total {
                queue.post(.progress(source: 0, done: i, total: total))
                // Like BackgroundLoader: slow down while the consumer is behind.
                while queue.pendingCount > 64 { usleep(10) }
            }
        }
        producer.start()
        var received = 0
        var stalls = 0
        while received < total {
            var p = pollfd(fd: queue.wakeFileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 2000) == 0 {
                // Nothing woke us although events may be waiting: a lost wake-up.
                stalls += 1
                if stalls > 2 { break }
            }
            received += queue.drain().count
        }
        #expect(stalls == 0)
        #expect(received == total)
    }

    /// Taking a few at a time: the rest stays counted, in order, and the wake-up stays set.
    @Test func drainingAFewLeavesTheRestCountedAndSignalled() throws {
        let queue = IngestQueue()
        let packets = try Fixtures.rawHEPPackets()
        let decoder = TraceDecoder()
        var sizes: [Int] = []
        for i in 0..<10 {
            var batch = MessageBatch()
            for p in packets[(i * 28)..<(i * 28 + 28)] {
                p.withUnsafeBytes { b in
                    decoder.decode(datagram: b, from: Endpoint(address: .v4(1), port: 1), to: Endpoint(address: .v4(2), port: 9060),
                                   receivedAt: .zero, number: i) { batch.append($0) }
                }
            }
            sizes.append(batch.memoryBytes)
            #expect(batch.memoryBytes > batch.byteCount && batch.count == 28)
            queue.post(.batch(source: i, batch))
        }
        #expect(queue.pendingBytes == sizes.reduce(0, +))
        let first = queue.drain(upTo: 3)
        #expect(first.count == 3 && queue.pendingCount == 7)
        #expect(queue.pendingBytes == sizes[3...].reduce(0, +))
        var p = pollfd(fd: queue.wakeFileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 0) == 1, "events are left: the wake-up must stay readable")
        let rest = queue.drain()
        let order = (first + rest).compactMap { e -> Int? in if case .batch(let s, _) = e { return s } else { return nil } }
        #expect(order == Array(0..<10))
        #expect(queue.pendingBytes == 0 && queue.pendingCount == 0)
        p.revents = 0
        #expect(poll(&p, 1, 0) == 0)
    }
}
