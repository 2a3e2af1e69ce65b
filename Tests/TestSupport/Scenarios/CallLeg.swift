import WireDecoding

/// A SIP user agent (phone, B2BUA side, proxy) as scenarios address it.
struct UserAgent: Sendable {
    var user: String
    var display: String?
    var endpoint: Endpoint
    var domain = "example.com"
    /// User-Agent / Server header value.
    var product = "sipp-uac testbed"

    var host: String { endpoint.address.description }
    var sentBy: String { "\(host):\(endpoint.port)" }
    var aor: String { "sip:\(user)@\(domain)" }
    var contactURI: String { "sip:\(user)@\(sentBy);transport=udp" }
    var nameAddr: String { display.map { "\"\($0)\" <\(aor)>" } ?? "<\(aor)>" }
    /// RTP port offered in SDP; RTCP is the next one.
    var mediaPort = 49170
}

/// A two-party INVITE dialog: everything needed to write its requests and responses the way a
/// UAC and a UAS would, so scenarios only say what happens and when.
struct CallLeg: Sendable {
    var callID: String
    var caller: UserAgent
    var callee: UserAgent
    var fromTag: String
    /// The tag the callee puts on its responses.
    var toTag: String
    /// Branches are `z9hG4bK<seed>.<n>`: INVITE 1, 2xx ACK 2, BYE 3.
    var branchSeed: String
    /// On every message the caller sends.
    var callerHeaders: [(String, String)] = []
    /// On every message the callee sends.
    var calleeHeaders: [(String, String)] = []
    /// On the initial INVITE only; a name also in `callerHeaders` replaces it there.
    var inviteHeaders: [(String, String)] = []
    var sdpSession: UInt64 = 1_800_000_001

    func branch(_ n: Int) -> String { "z9hG4bK\(branchSeed).\(n)" }

    var requestURI: String { "sip:\(callee.user)@\(callee.domain)" }
    var from: String { "\(caller.nameAddr);tag=\(fromTag)" }
    var toWithTag: String { "\(callee.nameAddr);tag=\(toTag)" }

    func via(_ branch: String) -> String { "SIP/2.0/UDP \(caller.sentBy);branch=\(branch);rport" }

    var offer: String { SDP.audio(user: caller.user, sessionID: sdpSession, address: caller.host, port: caller.mediaPort) }
    var answer: String { SDP.audio(user: callee.user, sessionID: sdpSession + 1, address: callee.host, port: callee.mediaPort) }

    // MARK: caller side

    func invite() -> SIPMessage {
        let overridden = Set(inviteHeaders.map { $0.0.lowercased() })
        let extra = callerHeaders.filter { !overridden.contains($0.0.lowercased()) } + inviteHeaders
        return .request("INVITE", requestURI, headers: [
            ("Via", via(branch(1))),
            ("Max-Forwards", "70"),
            ("From", from),
            ("To", callee.nameAddr),
            ("Call-ID", callID),
            ("CSeq", "1 INVITE"),
            ("Contact", "<\(caller.contactURI)>"),
            ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"),
            ("User-Agent", caller.product),
        ] + extra + [("Content-Type", "application/sdp")], body: offer)
    }

    /// CANCEL of the initial INVITE: same Request-URI, Via (branch included), From, To, Call-ID
    /// and CSeq number as the INVITE (RFC 3261 §9.1).
    func cancel() -> SIPMessage {
        .request("CANCEL", requestURI, headers: [
            ("Via", via(branch(1))),
            ("Max-Forwards", "70"),
            ("From", from),
            ("To", callee.nameAddr),
            ("Call-ID", callID),
            ("CSeq", "1 CANCEL"),
            ("User-Agent", caller.product),
        ] + callerHeaders)
    }

    /// The ACK for `response` to the INVITE. A non-2xx ACK belongs to the INVITE transaction
    /// (same branch and Request-URI, RFC 3261 §17.1.1.3); a 2xx ACK is a new transaction sent
    /// to the callee's Contact (§13.2.2.4).
    func ack(for response: SIPMessage) -> SIPMessage {
        let success = (response.status ?? 0) >= 200 && (response.status ?? 0) < 300
        let to = response.value("To") ?? toWithTag
        return .request("ACK", success ? callee.contactURI : requestURI, headers: [
            ("Via", via(branch(success ? 2 : 1))),
            ("Max-Forwards", "70"),
            ("From", from),
            ("To", to),
            ("Call-ID", callID),
            ("CSeq", "1 ACK"),
            ("User-Agent", caller.product),
        ] + callerHeaders)
    }

    func bye() -> SIPMessage {
        .request("BYE", callee.contactURI, headers: [
            ("Via", via(branch(3))),
            ("Max-Forwards", "70"),
            ("From", from),
            ("To", toWithTag),
            ("Call-ID", callID),
            ("CSeq", "2 BYE"),
            ("User-Agent", caller.product),
        ] + callerHeaders)
    }

    // MARK: callee side

    /// The callee's response to one of the caller's requests: the dialog's To tag on everything
    /// but 100, Contact on 18x/2xx to INVITE, the answer SDP on 2xx to INVITE.
    func response(to request: SIPMessage, _ status: Int, _ reason: String? = nil,
                  headers extra: [(String, String)] = []) -> SIPMessage {
        let isInvite = request.method == "INVITE"
        var headers: [(String, String)] = []
        if isInvite && status > 100 && status < 300 { headers.append(("Contact", "<\(callee.contactURI)>")) }
        if status >= 200 { headers.append(("Server", callee.product)) }
        headers += calleeHeaders + extra
        let withSDP = isInvite && status >= 200 && status < 300
        if withSDP { headers.append(("Content-Type", "application/sdp")) }
        return .response(to: request, status, reason, toTag: status > 100 ? toTag : nil, headers: headers,
                         body: withSDP ? answer : "")
    }
}

/// When each message of a basic call goes out, in milliseconds after the INVITE.
struct BasicCallTimes: Sendable {
    var trying = 5
    var ringing = 120
    var answer = 1120
    var ack = 1125
    var bye = 4120
    var byeOK = 4125

    /// Post-dial delay 120 ms, set-up 1120 ms, 3000 ms of conversation.
    static let standard = BasicCallTimes()

    var timings: ExpectedTimings { ExpectedTimings(pddMs: ringing, setupMs: answer, durationMs: bye - answer) }
}

extension CaptureScript {
    /// INVITE, 100, 180, 200, ACK, BYE, 200 between the two parties of `leg`, starting at `ms`.
    mutating func basicCall(_ leg: CallLeg, at ms: Int, times t: BasicCallTimes = .standard,
                            correlation: String? = nil, agents: [CaptureAgent] = [.kamailio], rank: Int = 0) {
        let a = leg.caller.endpoint, b = leg.callee.endpoint
        let invite = leg.invite()
        let ok = leg.response(to: invite, 200)
        let bye = leg.bye()
        let script: [(SIPMessage, Endpoint, Endpoint, Int)] = [
            (invite, a, b, 0),
            (leg.response(to: invite, 100), b, a, t.trying),
            (leg.response(to: invite, 180), b, a, t.ringing),
            (ok, b, a, t.answer),
            (leg.ack(for: ok), a, b, t.ack),
            (bye, a, b, t.bye),
            (leg.response(to: bye, 200), b, a, t.byeOK),
        ]
        for (m, from, to, offset) in script {
            send(m, from: from, to: to, at: ms + offset, correlation: correlation, agents: agents, rank: rank)
        }
    }
}
