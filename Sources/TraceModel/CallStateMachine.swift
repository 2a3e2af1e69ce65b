import WireDecoding

/// How each message moves a call along. Messages are applied in arrival order; rules only ever
/// move a call forward, so a late retransmission or a straggling provisional cannot undo an
/// outcome.
extension Call {
    mutating func apply(method: SIPMethod?, status: UInt16, cseqMethod: SIPMethod, cseq: UInt32, at t: Timestamp) {
        if !kindKnown {
            kind = method ?? cseqMethod
            kindKnown = true
        }
        if kind == .invite {
            applyInvite(method: method, status: status, cseqMethod: cseqMethod, at: t)
        } else {
            applyNonInvite(method: method, status: status, cseqMethod: cseqMethod, at: t)
        }
    }

    private mutating func applyInvite(method: SIPMethod?, status: UInt16, cseqMethod: SIPMethod, at t: Timestamp) {
        if let method {
            switch method {
            case .invite:
                if inviteTime == nil { inviteTime = t }
                // A new INVITE after an auth challenge starts the attempt again.
                if !wasAnswered, state == .rejected, finalStatus == 401 || finalStatus == 407 {
                    state = .calling
                    finalStatus = 0
                }
            case .cancel:
                if !wasAnswered, state.isActive { state = .cancelled }
            case .bye:
                if byeTime == nil { byeTime = t }
                if state.isActive { state = .completed }
            default:
                break
            }
            return
        }
        // Responses: only those to INVITE decide the call; a BYE's 200 confirms completion.
        guard cseqMethod == .invite else { return }
        switch status {
        case 100..<200:
            if status >= 180, ringTime == nil { ringTime = t }
            guard !wasAnswered, state.isActive else { return }
            let next: CallState = status >= 180 ? .ringing : .proceeding
            if next.rawValue > state.rawValue { state = next }
        case 200..<300:
            if answerTime == nil {
                answerTime = t
                if state.isActive || state == .cancelled { state = .inCall }
                finalStatus = status
            }
        default:
            guard !wasAnswered, state.isActive || state == .cancelled else { return }
            finalStatus = status
            state = Call.outcome(status, cancelled: state == .cancelled)
        }
    }

    private mutating func applyNonInvite(method: SIPMethod?, status: UInt16, cseqMethod: SIPMethod, at t: Timestamp) {
        if method != nil { return }
        guard cseqMethod == kind, status >= 200 else {
            if status >= 100, status < 200, state == .calling { state = .proceeding }
            return
        }
        // The last final response decides: a REGISTER challenged with 401 then accepted is fine.
        finalStatus = status
        state = status < 300 ? .completed : Call.outcome(status, cancelled: false)
    }

    static func outcome(_ status: UInt16, cancelled: Bool) -> CallState {
        switch status {
        case 300..<400: return .diverted
        case 486, 600: return .busy
        case 487: return .cancelled
        case 408, 500..<600: return .failed
        default: return cancelled ? .cancelled : .rejected
        }
    }
}
