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

    /// The heap bytes counted for the memory budget are kept as the figures change, not worked
    /// out again each time: after every change they must equal what the parts add up to, as
    /// histograms grow with longer times and failure statuses come and go.
    @Test func heapBytesAreKeptAsTheFiguresChange() {
        var r = SplitMix(seed: 11)
        var s = GroupStatistics()
        #expect(s.memoryBytes == s.memoryBytesFromParts)
        var current: [GroupStatistics.Contribution] = []
        let start = s.memoryBytes
        for step in 0..<3000 {
            if current.count < 40 || step % 3 == 0 {
                let c = contribution(&r)
                s.apply(c, sign: 1)
                current.append(c)
            } else if step % 7 == 0 {
                s.apply(current.removeLast(), sign: -1)
            } else {
                let i = Int(r.next() % UInt64(current.count))
                let next = contribution(&r)
                s.replace(current[i], with: next)
                current[i] = next
            }
            #expect(s.memoryBytes == s.memoryBytesFromParts, "step \(step)")
        }
        var merged = GroupStatistics()
        merged.add(s)
        merged.add(s)
        #expect(merged.memoryBytes == merged.memoryBytesFromParts)
        #expect(s.memoryBytes > start, "the histograms grew")
        // Every call taken out again: each failure status goes when its last call does.
        let statuses = s.failuresByStatus.count
        while let c = current.popLast() {
            s.apply(c, sign: -1)
            #expect(s.memoryBytes == s.memoryBytesFromParts, "\(current.count) calls left")
        }
        #expect(statuses > 0 && s.failuresByStatus.isEmpty && s.calls == 0)
    }
}
