import CaptureIngest
import Foundation
import Testing
import WireDecoding

#if canImport(Glibc)
import Glibc
#endif

/// A consumer that sleeps in poll() on the wake-up descriptor must be woken for every event
/// posted, however posts and drains interleave.
@Suite struct IngestQueueWakeTests {
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
}
