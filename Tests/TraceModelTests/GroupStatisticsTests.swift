import Testing
@testable import TraceModel
import WireDecoding

/// A call that changes replaces its contribution to its group's figures in place: that must
/// leave the same figures as taking the old one out and putting the new one in.
@Suite struct GroupStatisticsTests {
    /// The figures a group shows, as one comparable value.
    func figures(_ s: GroupStatistics) -> String {
        let histograms = [s.postDialDelay, s.setupTime, s.duration].map { h in
            "\(h.count) \(h.maximum) " + [0.5, 0.95, 1].map { "\(h.percentile($0) ?? -1)" }.joined(separator: "/")
        }
        return "\(s.calls) \(s.inviteCalls) \(s.byState) \(s.answered) \(s.failuresByStatus.sorted { $0.key < $1.key }) "
            + histograms.joined(separator: " | ")
    }

    /// A pseudo-random contribution: every state, kind and failure status, times present or not.
    func contribution(_ r: inout SplitMix) -> GroupStatistics.Contribution {
        func time() -> Int64 { r.next() % 3 == 0 ? .min : Int64(r.next() % 5_000_000_000) }
        let states = CallState.allCases
        return GroupStatistics.Contribution(
            state: states[Int(r.next() % UInt64(states.count))], kind: r.next() % 2 == 0 ? .invite : .options,
            finalStatus: [0, 404, 486, 503][Int(r.next() % 4)], invite: time(), ring: time(), answer: time(), bye: time())
    }

    @Test func replacingIsTakingOutAndPuttingIn() {
        var r = SplitMix(seed: 7)
        var inPlace = GroupStatistics(), outAndIn = GroupStatistics()
        var current = (0..<50).map { _ in contribution(&r) }
        for c in current {
            inPlace.apply(c, sign: 1)
            outAndIn.apply(c, sign: 1)
        }
        for step in 0..<2000 {
            let i = Int(r.next() % UInt64(current.count))
            // Often the same again (a message that changes nothing), else anything.
            let next = step % 4 == 0 ? current[i] : contribution(&r)
            inPlace.replace(current[i], with: next)
            outAndIn.apply(current[i], sign: -1)
            outAndIn.apply(next, sign: 1)
            current[i] = next
            if step % 5 == 0 { #expect(figures(inPlace) == figures(outAndIn), "step \(step)") }
        }
        #expect(figures(inPlace) == figures(outAndIn))
        #expect(inPlace.calls == 50)
    }
}
