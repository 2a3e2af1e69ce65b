@testable import CaptureIngest
import Testing

/// A listener's "rx N/s" in the status line, from the counters its listener posts ten times a
/// second: near the real rate within a burst, nothing soon after the traffic stops.
@Suite struct SourceRateTests {
    @Test func theRateFollowsTheTrafficWithinTwoSeconds() {
        var source = TraceSession.Source(name: "udp://127.0.0.1:9060", kind: .listener)
        var packets = 0
        var t = 10.0
        // 2,000 packets a second for a second and a half.
        for _ in 0..<15 {
            t += 0.1
            packets += 200
            source.sample(packets, at: t)
        }
        #expect(abs(source.rate - 2000) < 1)
        // Stopped: two seconds later nothing is counted any more.
        for _ in 0..<21 {
            t += 0.1
            source.sample(packets, at: t)
        }
        #expect(source.rate == 0)
    }
}
