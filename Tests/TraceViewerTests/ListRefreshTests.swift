import Testing
@testable import TraceViewer

/// How long a big call list stale by new data stays on screen: long enough that working it out
/// again never takes more than a fifth of the viewer's time, so a load goes on while the list
/// of a million calls is open.
@Suite struct ListRefreshTests {
    @Test func smallListsAreAlwaysCurrent() {
        #expect(!ViewerModel.keepsStaleList(rows: ViewerModel.largeList, age: 0, cost: 0))
        #expect(!ViewerModel.keepsStaleList(rows: 10, age: 0.01, cost: 1))
    }

    @Test func cheapBigListsWaitHalfASecond() {
        let rows = ViewerModel.largeList + 1
        #expect(ViewerModel.keepsStaleList(rows: rows, age: 0.49, cost: 0.01))
        #expect(!ViewerModel.keepsStaleList(rows: rows, age: 0.5, cost: 0.01))
    }

    @Test func costlyListsWaitFiveTimesWhatTheyCost() {
        let rows = 1_400_000
        // 0.3 s to work out: kept 1.5 s, so at most a fifth of the time goes into the list.
        #expect(ViewerModel.keepsStaleList(rows: rows, age: 1.4, cost: 0.3))
        #expect(!ViewerModel.keepsStaleList(rows: rows, age: 1.5, cost: 0.3))
        for cost in [0.2, 0.4, 0.8] {
            let age = ViewerModel.listShareOfTime * cost
            #expect(cost / (age + cost) <= 1 / (ViewerModel.listShareOfTime + 1) + 1e-9)
            #expect(!ViewerModel.keepsStaleList(rows: rows, age: age, cost: cost))
        }
    }
}
