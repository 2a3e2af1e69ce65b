import WireDecoding

/// Per-group call figures, kept up to date as each message arrives (no rescans): a call's old
/// contribution is taken out and its new one put in whenever its state or timings change.
public struct GroupStatistics: Sendable {
    public private(set) var calls = 0
    public private(set) var inviteCalls = 0
    public private(set) var byState = [Int](repeating: 0, count: CallState.allCases.count)
    public private(set) var answered = 0
    /// INVITE calls that ended unanswered (rejected, busy, failed, cancelled, diverted).
    public private(set) var unansweredInvites = 0
    /// Final status -> number of INVITE calls that failed with it (a REGISTER's 401 challenge
    /// or an OPTIONS ping's 404 is no failed call).
    public private(set) var failuresByStatus: [UInt16: Int] = [:]
    public private(set) var postDialDelay = LatencyHistogram()
    public private(set) var setupTime = LatencyHistogram()
    public private(set) var duration = LatencyHistogram()

    /// Heap bytes held besides the struct itself (histogram buckets above all), for the budget.
    /// Kept up to date where they can change (a histogram grows, a failure status comes or
    /// goes): worked out from scratch before and after every change, twice a message, it was a
    /// thirtieth of the model's instructions.
    private(set) var memoryBytes = 0

    public init() {
        refreshMemoryBytes()
    }

    /// The heap bytes worked out from the parts, which `memoryBytes` keeps.
    var memoryBytesFromParts: Int {
        postDialDelay.memoryBytes + setupTime.memoryBytes + duration.memoryBytes
            + 32 + byState.count * 8 + (failuresByStatus.isEmpty ? 0 : 48 + failuresByStatus.count * 16)
    }

    private mutating func refreshMemoryBytes() { memoryBytes = memoryBytesFromParts }

    public var active: Int { CallState.allCases.filter(\.isActive).reduce(0) { $0 + byState[Int($1.rawValue)] } }
    /// INVITE calls rejected, busy or failed.
    public var failed: Int { failuresByStatus.values.reduce(0, +) }
    public func count(_ s: CallState) -> Int { byState[Int(s.rawValue)] }

    /// Answer-seizure ratio over INVITE calls that have an outcome: answered, or ended unanswered
    /// (rejected, busy, failed, cancelled, diverted). Calls still ringing do not count yet.
    public var answerSeizureRatio: Double? {
        let seized = answered + unansweredInvites
        return seized == 0 ? nil : Double(answered) / Double(seized)
    }

    /// What one call contributes, so it can be removed and re-added when it changes.
    struct Contribution: Equatable {
        var state: CallState
        var isInvite: Bool
        var answered: Bool
        var unansweredInvite: Bool
        var failureStatus: UInt16?
        var pdd: Int64?
        var setup: Int64?
        var duration: Int64?

        init(_ c: borrowing Call) {
            self.init(state: c.state, kind: c.kind, finalStatus: c.finalStatus, invite: c.inviteNanos, ring: c.ringNanos,
                      answer: c.answerNanos, bye: c.byeNanos)
        }

        /// From the fields it depends on (times in nanoseconds, Int64.min: none).
        init(state: CallState, kind: SIPMethod, finalStatus: UInt16, invite: Int64, ring: Int64, answer: Int64, bye: Int64) {
            self.state = state
            isInvite = kind == .invite
            answered = answer != .min
            switch state {
            case .rejected, .busy, .failed, .cancelled, .diverted: unansweredInvite = isInvite && !answered
            default: unansweredInvite = false
            }
            failureStatus = isInvite && state.isFailure ? finalStatus : nil
            // As Call.postDialDelay, setupTime and duration.
            pdd = Call.span(from: invite, to: ring)
            setup = Call.span(from: invite, to: answer)
            duration = Call.span(from: answer, to: bye)
        }
    }

    /// A call's contribution changed from `old` to `new`: the same as taking `old` out and
    /// putting `new` in, touching only what differs (most messages move a call's state and
    /// one of its times, not all of them).
    mutating func replace(_ old: Contribution, with new: Contribution) {
        if old.isInvite != new.isInvite { inviteCalls += new.isInvite ? 1 : -1 }
        if old.state != new.state {
            byState[Int(old.state.rawValue)] -= 1
            byState[Int(new.state.rawValue)] += 1
        }
        if old.answered != new.answered { answered += new.answered ? 1 : -1 }
        if old.unansweredInvite != new.unansweredInvite { unansweredInvites += new.unansweredInvite ? 1 : -1 }
        if old.failureStatus != new.failureStatus {
            if let s = old.failureStatus { countFailure(s, sign: -1) }
            if let s = new.failureStatus { countFailure(s, sign: 1) }
        }
        var grew = false
        if old.pdd != new.pdd { grew = Self.move(&postDialDelay, old.pdd, new.pdd) || grew }
        if old.setup != new.setup { grew = Self.move(&setupTime, old.setup, new.setup) || grew }
        if old.duration != new.duration { grew = Self.move(&duration, old.duration, new.duration) || grew }
        if grew { refreshMemoryBytes() }
    }

    /// One call more or fewer failed with `status`; a status no call has any more is dropped.
    private mutating func countFailure(_ status: UInt16, sign: Int) {
        let statuses = failuresByStatus.count
        failuresByStatus[status, default: 0] += sign
        if failuresByStatus[status] == 0 { failuresByStatus[status] = nil }
        // Only a status that comes or goes changes the heap bytes counted for the table.
        if failuresByStatus.count != statuses { refreshMemoryBytes() }
    }

    /// True when the histogram grew.
    private static func move(_ h: inout LatencyHistogram, _ old: Int64?, _ new: Int64?) -> Bool {
        var grew = false
        if let v = old { grew = h.record(v, sign: -1) }
        if let v = new { grew = h.record(v, sign: 1) || grew }
        return grew
    }

    /// Adds the figures of calls counted elsewhere (calls an eviction dropped from a session
    /// that stays: the session's figures still cover them).
    mutating func add(_ other: GroupStatistics) {
        calls += other.calls
        inviteCalls += other.inviteCalls
        for (i, n) in other.byState.enumerated() { byState[i] += n }
        answered += other.answered
        unansweredInvites += other.unansweredInvites
        for (status, n) in other.failuresByStatus { countFailure(status, sign: n) }
        postDialDelay.add(other.postDialDelay)
        setupTime.add(other.setupTime)
        duration.add(other.duration)
        refreshMemoryBytes()
    }

    mutating func apply(_ c: Contribution, sign: Int) {
        calls += sign
        if c.isInvite { inviteCalls += sign }
        byState[Int(c.state.rawValue)] += sign
        if c.answered { answered += sign }
        if c.unansweredInvite { unansweredInvites += sign }
        if let s = c.failureStatus { countFailure(s, sign: sign) }
        var grew = false
        if let v = c.pdd { grew = postDialDelay.record(v, sign: sign) }
        if let v = c.setup { grew = setupTime.record(v, sign: sign) || grew }
        if let v = c.duration { grew = duration.record(v, sign: sign) || grew }
        if grew { refreshMemoryBytes() }
    }
}

extension GroupStatistics {
    /// The figures of just these calls of `store`: a session as a filter shows it.
    public init(calls: some Sequence<Int32>, in store: TraceStore) {
        self.init()
        for c in calls { apply(Contribution(store.calls[Int(c)]), sign: 1) }
    }
}

/// Latencies in a log-linear histogram: O(1) to add or remove a value, percentiles within
/// 0.8% (128 sub-buckets per power of two), exact count and maximum.
public struct LatencyHistogram: Sendable {
    private var buckets: [UInt32] = []
    public private(set) var count = 0
    /// Largest value ever recorded (not lowered when a value is removed).
    public private(set) var maximum: Int64 = 0

    static let subBits = 7
    static let subCount = 1 << subBits

    /// Heap bytes of the buckets (up to the largest value's: a few KiB for call durations).
    var memoryBytes: Int { buckets.isEmpty ? 0 : 32 + buckets.count * 4 }

    public init() {}

    /// Values are nanoseconds; the histogram works in microseconds. True when it grew.
    @discardableResult
    mutating func record(_ nanoseconds: Int64, sign: Int) -> Bool {
        let v = max(0, nanoseconds / 1000)
        let i = LatencyHistogram.index(v)
        let grew = i >= buckets.count
        if grew { buckets += [UInt32](repeating: 0, count: i + 1 - buckets.count) }
        if sign > 0 {
            buckets[i] += 1
            count += 1
            maximum = max(maximum, nanoseconds)
        } else if buckets[i] > 0 {
            buckets[i] -= 1
            count -= 1
        }
        return grew
    }

    /// Adds another histogram's values (the maximum is the larger of the two).
    mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        if other.buckets.count > buckets.count { buckets += [UInt32](repeating: 0, count: other.buckets.count - buckets.count) }
        for (i, n) in other.buckets.enumerated() { buckets[i] += n }
        count += other.count
        maximum = max(maximum, other.maximum)
    }

    static func index(_ v: Int64) -> Int {
        if v < subCount { return Int(v) }
        let exponent = 63 - v.leadingZeroBitCount - subBits
        let mantissa = Int(v >> exponent) - subCount
        return (exponent + 1) * subCount + mantissa
    }

    /// The upper edge of a bucket, in microseconds.
    static func value(ofBucket i: Int) -> Int64 {
        if i < subCount { return Int64(i) }
        let exponent = i / subCount - 1
        let mantissa = Int64(i % subCount + subCount)
        return ((mantissa + 1) << exponent) - 1
    }

    /// The value below which `fraction` of the recorded values fall, in nanoseconds.
    public func percentile(_ fraction: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(count)).rounded(.up)))
        var seen = 0
        for (i, n) in buckets.enumerated() {
            seen += Int(n)
            if seen >= rank { return min(LatencyHistogram.value(ofBucket: i) * 1000, maximum) }
        }
        return maximum
    }
}
