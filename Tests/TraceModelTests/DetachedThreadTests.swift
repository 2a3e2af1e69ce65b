@testable import CaptureIngest
import Foundation
import Testing

/// Threads that say whether they started: a loader or a rebuild whose thread the system refuses
/// must not leave its caller waiting for it.
@Suite struct DetachedThreadTests {
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var name = ""
        var sameThread = true
    }

    @Test func theBodyRunsOnAThreadOfItsOwnUnderItsName() {
        let seen = Seen(), done = DispatchSemaphore(value: 0)
        let caller = pthread_self()
        let error = DetachedThread.start(name: "hepscope-test-thread-name") {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.lock.withLock {
                seen.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
                seen.sameThread = pthread_equal(pthread_self(), caller) != 0
            }
            done.signal()
        }
        #expect(error == nil)
        #expect(done.wait(timeout: .now() + 10) == .success)
        seen.lock.withLock {
            #expect(seen.name == "hepscope-test-t")  // the 15 bytes the system keeps
            #expect(!seen.sameThread)
        }
    }

    @Test func aThreadTheSystemRefusesIsReportedAndItsBodyNeverRuns() {
        let ran = Seen()
        // No stack of that size can be mapped.
        let error = DetachedThread.start(name: "hepscope-refused", stackSize: 1 << 62) {
            ran.lock.withLock { ran.name = "ran" }
        }
        #expect(error != nil)
        #expect(DetachedThread.failure("load x.pcap", error ?? 0).hasPrefix("cannot start a thread to load x.pcap: "))
        usleep(100_000)
        ran.lock.withLock { #expect(ran.name.isEmpty) }
    }
}
