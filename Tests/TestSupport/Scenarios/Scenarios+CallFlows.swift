import WireDecoding

extension SIPMessage {
    /// Inserts a header right after the first Via, where UAs put Route.
    func insertingAfterVia(_ name: String, _ value: String) -> SIPMessage {
        var m = self
        let at = (m.headers.firstIndex { $0.name.equalsIgnoringCase("Via") } ?? -1) + 1
        m.headers.insert(SIPHeader(name, value), at: at)
        return m
    }

    func removing(_ name: String) -> SIPMessage {
        var m = self
        m.headers.removeAll { $0.name.equalsIgnoringCase(name) }
        return m
    }
}

extension Scenarios {
    public static let forkCallID = "fork-1@192.0.2.10"

    /// Plain SIP over UDP, one Call-ID `fork-1@192.0.2.10`. Alice (192.0.2.10) calls
    /// bob@example.com through a record-routing proxy (192.0.2.1), which forks to Bob's desk
    /// phone (192.0.2.20) and his softphone (192.0.2.21). Both ring (two early dialogs, To tags
    /// `deskTag` and `mobileTag`), the desk phone answers, the proxy cancels the softphone branch.
    ///
    /// | ms   | message                          | ms   | message                           |
    /// |------|----------------------------------|------|-----------------------------------|
    /// | 0    | INVITE alice → proxy             | 2003 | CANCEL proxy → mobile (branch 2)  |
    /// | 2    | 100 proxy → alice                | 2006 | ACK alice → proxy (2xx, Route)    |
    /// | 4, 5 | INVITE proxy → desk, → mobile    | 2007 | 200 (CANCEL) mobile → proxy       |
    /// | 7, 8 | 100 desk, mobile → proxy         | 2008 | ACK proxy → desk                  |
    /// | 120  | 180 desk → proxy (deskTag)       | 2009 | 487 mobile → proxy (mobileTag)    |
    /// | 122  | 180 proxy → alice (deskTag)      | 2010 | ACK proxy → mobile (non-2xx)      |
    /// | 150  | 180 mobile → proxy (mobileTag)   | 5002 | BYE alice → proxy                 |
    /// | 152  | 180 proxy → alice (mobileTag)    | 5004 | BYE proxy → desk                  |
    /// | 2000 | 200 desk → proxy (SDP)           | 5010 | 200 desk → proxy                  |
    /// | 2002 | 200 proxy → alice (SDP)          | 5012 | 200 proxy → alice                 |
    ///
    /// - 22 frames, 22 SIP messages, no retransmissions (the proxy's copies differ in Via).
    /// - Expected: one call, 2 dialogs [deskTag, mobileTag], state completed, final 200 (the 487
    ///   ends only the cancelled branch). PDD 120, set-up 2000, duration 3002, measured on the
    ///   first message of each kind anywhere in the call; as Alice sees it: 18x at 122, 200 at 2002.
    public static func forkedInvite() -> ScenarioCapture {
        let proxy = UserAgent.proxy
        let desk = UserAgent(user: "bob", display: "Bob", endpoint: ipv4("192.0.2.20", 5060),
                             product: "desk-phone 4.1", mediaPort: 51372)
        let mobile = UserAgent(user: "bob", display: "Bob", endpoint: ipv4("192.0.2.21", 5060),
                               product: "softphone 2.0", mediaPort: 52044)
        let a = UserAgent.alice.endpoint, p = proxy.endpoint, d = desk.endpoint, m = mobile.endpoint
        let deskLeg = CallLeg(callID: forkCallID, caller: .alice, callee: desk, fromTag: hexToken("fork/from"),
                              toTag: hexToken("fork/desk"), branchSeed: hexToken("fork/alice"))
        var mobileLeg = deskLeg
        mobileLeg.callee = mobile
        mobileLeg.toTag = hexToken("fork/mobile")
        let proxyBranch = "z9hG4bK" + hexToken("fork/proxy")
        let recordRoute = "<sip:192.0.2.1;lr;ftag=\(deskLeg.fromTag)>"
        let route = "<sip:192.0.2.1;lr;ftag=\(deskLeg.fromTag)>"

        let invite = deskLeg.invite()
        let fork1 = invite.forwarded(via: "SIP/2.0/UDP 192.0.2.1:5060;branch=\(proxyBranch).0", recordRoute: recordRoute,
                                     requestURI: "sip:bob@192.0.2.20:5060")
        let fork2 = invite.forwarded(via: "SIP/2.0/UDP 192.0.2.1:5060;branch=\(proxyBranch).1", recordRoute: recordRoute,
                                     requestURI: "sip:bob@192.0.2.21:5060")
        let ringDesk = deskLeg.response(to: fork1, 180)
        let ringMobile = mobileLeg.response(to: fork2, 180)
        let answer = deskLeg.response(to: fork1, 200)
        let cancel = SIPMessage.request("CANCEL", "sip:bob@192.0.2.21:5060", headers: [
            ("Via", fork2.value("Via")!),
            ("Max-Forwards", "70"),
            ("From", deskLeg.from),
            ("To", desk.nameAddr),
            ("Call-ID", forkCallID),
            ("CSeq", "1 CANCEL"),
            ("Reason", "SIP;cause=200;text=\"Call completed elsewhere\""),
        ])
        let terminated = mobileLeg.response(to: fork2, 487)
        let ackMobile = SIPMessage.request("ACK", "sip:bob@192.0.2.21:5060", headers: [
            ("Via", fork2.value("Via")!),
            ("Max-Forwards", "70"),
            ("From", deskLeg.from),
            ("To", terminated.value("To")!),
            ("Call-ID", forkCallID),
            ("CSeq", "1 ACK"),
        ])
        let ack = deskLeg.ack(for: answer.forwardedUpstream()).insertingAfterVia("Route", route)
        let bye = deskLeg.bye().insertingAfterVia("Route", route)
        let byeToDesk = bye.removing("Route").forwarded(via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK\(hexToken("fork/bye")).0")
        let byeOK = deskLeg.response(to: byeToDesk, 200)

        var script = CaptureScript(hep: false)
        let flow: [(Int, SIPMessage, Endpoint, Endpoint)] = [
            (0, invite, a, p),
            (2, .response(to: invite, 100, "trying -- your call is important to us", headers: [("Server", proxy.product)]), p, a),
            (4, fork1, p, d),
            (5, fork2, p, m),
            (7, deskLeg.response(to: fork1, 100), d, p),
            (8, mobileLeg.response(to: fork2, 100), m, p),
            (120, ringDesk, d, p),
            (122, ringDesk.forwardedUpstream(), p, a),
            (150, ringMobile, m, p),
            (152, ringMobile.forwardedUpstream(), p, a),
            (2000, answer, d, p),
            (2002, answer.forwardedUpstream(), p, a),
            (2003, cancel, p, m),
            (2006, ack, a, p),
            (2007, mobileLeg.response(to: cancel, 200), m, p),
            (2008, ack.removing("Route").forwarded(via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK\(hexToken("fork/ack")).0"), p, d),
            (2009, terminated, m, p),
            (2010, ackMobile, p, m),
            (5002, bye, a, p),
            (5004, byeToDesk, p, d),
            (5010, byeOK, d, p),
            (5012, byeOK.forwardedUpstream(), p, a),
        ]
        for (ms, message, from, to) in flow { script.send(message, from: from, to: to, at: ms) }
        let done = script.finish()
        let call = done.call(forkCallID, state: .completed, finalStatus: 200, dialogs: [deskLeg.toTag, mobileLeg.toTag],
                             timings: ExpectedTimings(pddMs: 120, setupMs: 2000, durationMs: 3002),
                             notes: ["desk To tag \(deskLeg.toTag) answered; mobile To tag \(mobileLeg.toTag) got CANCEL and 487",
                                     "the CANCEL and the ACK of the 487 carry the proxy's second branch \(proxyBranch).1"])
        return done.scenario("forked-invite",
                             "Plain UDP, one Call-ID: a proxy forks the INVITE to two phones, both send 180 with "
                                 + "different To tags, one answers 200, the other is cancelled (200 CANCEL, 487, ACK); "
                                 + "then ACK, BYE, 200. One call, 2 dialogs, completed.",
                             groups: [done.group(nil, [call])])
    }

    public static let cancelCallID = "cancel-1@192.0.2.10"

    /// Plain SIP over UDP, Alice (192.0.2.10) → Bob (192.0.2.20), `cancel-1@192.0.2.10`:
    /// INVITE 0, 100 at 5, 180 at 120, CANCEL at 3000, 200 (CANCEL) at 3005, 487 at 3008,
    /// ACK at 3012. The CANCEL and the ACK carry the INVITE's branch (`z9hG4bK<seed>.1`), the
    /// ACK has CSeq `1 ACK` and the 487's To tag.
    ///
    /// - 7 frames, 7 SIP messages.
    /// - Expected: state cancelled, final status 487, 1 dialog (Bob's To tag from the 180), PDD
    ///   120, no set-up or duration; CANCEL and ACK matched to the INVITE's transaction.
    public static func cancelledCall() -> ScenarioCapture {
        let leg = CallLeg(callID: cancelCallID, caller: .alice, callee: .bob, fromTag: hexToken("cancel/from"),
                          toTag: hexToken("cancel/to"), branchSeed: hexToken("cancel/branch"))
        let a = leg.caller.endpoint, b = leg.callee.endpoint
        let invite = leg.invite(), cancel = leg.cancel()
        let terminated = leg.response(to: invite, 487)
        var script = CaptureScript(hep: false)
        let flow: [(Int, SIPMessage, Endpoint, Endpoint)] = [
            (0, invite, a, b),
            (5, leg.response(to: invite, 100), b, a),
            (120, leg.response(to: invite, 180), b, a),
            (3000, cancel, a, b),
            (3005, leg.response(to: cancel, 200), b, a),
            (3008, terminated, b, a),
            (3012, leg.ack(for: terminated), a, b),
        ]
        for (ms, message, from, to) in flow { script.send(message, from: from, to: to, at: ms) }
        let done = script.finish()
        let call = done.call(cancelCallID, state: .cancelled, finalStatus: 487, dialogs: [leg.toTag],
                             timings: ExpectedTimings(pddMs: 120),
                             notes: ["INVITE, CANCEL and ACK share the branch \(leg.branch(1))"])
        return done.scenario("cancelled-call",
                             "Plain UDP: INVITE, 100, 180, CANCEL, 200 (CANCEL), 487, ACK; CANCEL and ACK reuse the "
                                 + "INVITE's branch. State cancelled.",
                             groups: [done.group(nil, [call])])
    }

    public static let retransmissionCallID = "retrans-1@192.0.2.10"

    /// Plain SIP over UDP, Alice → Bob, `retrans-1@192.0.2.10`, one capture point. The INVITE is
    /// sent at 0 and again, byte for byte, at 500 and 1500 (RFC 3261 timer A) before Bob's 100
    /// at 1510; 180 at 1620; 200 at 2620 and again at 3120 (the ACK was lost); ACK at 3125;
    /// BYE at 6120; 200 at 6125.
    ///
    /// - 10 frames, 10 SIP messages.
    /// - Expected: 3 retransmissions flagged (messages 1 and 2 repeat message 0, the INVITE;
    ///   message 6 repeats message 5, the 200), all 10 messages kept; completed, final 200;
    ///   PDD 1620, set-up 2620, duration 3500 (from the first INVITE and the first 200).
    public static func retransmissions() -> ScenarioCapture {
        let leg = CallLeg(callID: retransmissionCallID, caller: .alice, callee: .bob, fromTag: hexToken("rt/from"),
                          toTag: hexToken("rt/to"), branchSeed: hexToken("rt/branch"))
        let a = leg.caller.endpoint, b = leg.callee.endpoint
        let invite = leg.invite(), ok = leg.response(to: invite, 200), bye = leg.bye()
        var script = CaptureScript(hep: false)
        let flow: [(Int, SIPMessage, Endpoint, Endpoint)] = [
            (0, invite, a, b),
            (500, invite, a, b),
            (1500, invite, a, b),
            (1510, leg.response(to: invite, 100), b, a),
            (1620, leg.response(to: invite, 180), b, a),
            (2620, ok, b, a),
            (3120, ok, b, a),
            (3125, leg.ack(for: ok), a, b),
            (6120, bye, a, b),
            (6125, leg.response(to: bye, 200), b, a),
        ]
        for (ms, message, from, to) in flow { script.send(message, from: from, to: to, at: ms) }
        let done = script.finish()
        let call = done.call(retransmissionCallID, state: .completed, finalStatus: 200, dialogs: [leg.toTag],
                             timings: ExpectedTimings(pddMs: 1620, setupMs: 2620, durationMs: 3500),
                             notes: ["INVITE retransmitted at 500 and 1500 ms, 200 OK retransmitted at 3120 ms"])
        return done.scenario("retransmissions",
                             "Plain UDP call: INVITE retransmitted twice (+500, +1500 ms) before the 100, 200 OK "
                                 + "retransmitted once. 3 retransmissions flagged, 10 messages kept.",
                             groups: [done.group(nil, [call])])
    }

    public static let registerCallID = "reg-7b1d04@192.0.2.10"
    public static let optionsCallID = "options-a3c9e1@192.0.2.1"
    public static let messageCallID = "msg-5e62f0@192.0.2.10"

    /// Plain SIP over UDP, three Call-IDs:
    ///
    /// - `reg-7b1d04@192.0.2.10`: REGISTER (CSeq 1) Alice → registrar 192.0.2.1 at 0, 401 with
    ///   WWW-Authenticate at 3, REGISTER with Authorization (CSeq 2, new branch) at 10, 200 with
    ///   Contact;expires=3600 at 14. Expected: completed, final 200 (4 messages).
    /// - `options-a3c9e1@192.0.2.1`: OPTIONS proxy → Bob (192.0.2.20) at 1000 (a dispatcher
    ///   ping), 200 at 1002. Expected: completed, final 200 (2 messages).
    /// - `msg-5e62f0@192.0.2.10`: MESSAGE Alice → proxy (text/plain body) at 2000, 404 at 2003.
    ///   Expected: rejected, final 404 (2 messages).
    ///
    /// - 8 frames, 8 SIP messages; no dialogs, no timings.
    public static func registerAndOptions() -> ScenarioCapture {
        let alice = UserAgent.alice, proxy = UserAgent.proxy, bob = UserAgent.bob
        let a = alice.endpoint, p = proxy.endpoint, b = bob.endpoint
        let nonce = "Z8Wc4GfF0wa7u3HbK1VdTzoNl9hxw3Wn"
        func register(cseq: Int, extra: [(String, String)]) -> SIPMessage {
            .request("REGISTER", "sip:example.com", headers: [
                ("Via", "SIP/2.0/UDP \(alice.sentBy);branch=z9hG4bK\(hexToken("reg/\(cseq)"));rport"),
                ("Max-Forwards", "70"),
                ("From", "\(alice.nameAddr);tag=\(hexToken("reg/from"))"),
                ("To", alice.nameAddr),
                ("Call-ID", registerCallID),
                ("CSeq", "\(cseq) REGISTER"),
                ("Contact", "<\(alice.contactURI)>;expires=3600"),
                ("Expires", "3600"),
                ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE"),
                ("User-Agent", alice.product),
            ] + extra)
        }
        let register1 = register(cseq: 1, extra: [])
        let challenge = SIPMessage.response(to: register1, 401, toTag: hexToken("reg/401") + ".e1d2", headers: [
            ("WWW-Authenticate", "Digest realm=\"example.com\", nonce=\"\(nonce)\", qop=\"auth\", algorithm=MD5"),
            ("Server", proxy.product),
        ])
        let register2 = register(cseq: 2, extra: [
            ("Authorization", "Digest username=\"alice\", realm=\"example.com\", nonce=\"\(nonce)\", "
                + "uri=\"sip:example.com\", response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, "
                + "cnonce=\"0a4f113b\", qop=auth, nc=00000001"),
        ])
        let registered = SIPMessage.response(to: register2, 200, toTag: hexToken("reg/200") + ".e1d2", headers: [
            ("Contact", "<\(alice.contactURI)>;expires=3600"),
            ("Server", proxy.product),
        ])
        let options = SIPMessage.request("OPTIONS", "sip:\(bob.sentBy)", headers: [
            ("Via", "SIP/2.0/UDP \(proxy.sentBy);branch=z9hG4bK\(hexToken("options")).0"),
            ("To", "<sip:\(bob.sentBy)>"),
            ("From", "<sip:dispatcher@example.com>;tag=\(hexToken("options/from"))"),
            ("CSeq", "10 OPTIONS"),
            ("Call-ID", optionsCallID),
            ("Max-Forwards", "70"),
            ("User-Agent", proxy.product),
        ])
        let optionsOK = SIPMessage.response(to: options, 200, toTag: hexToken("options/to"), headers: [
            ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"),
            ("Accept", "application/sdp"),
            ("Server", bob.product),
        ])
        let message = SIPMessage.request("MESSAGE", "sip:carol@example.com", headers: [
            ("Via", "SIP/2.0/UDP \(alice.sentBy);branch=z9hG4bK\(hexToken("message"));rport"),
            ("Max-Forwards", "70"),
            ("From", "\(alice.nameAddr);tag=\(hexToken("message/from"))"),
            ("To", "<sip:carol@example.com>"),
            ("Call-ID", messageCallID),
            ("CSeq", "1 MESSAGE"),
            ("User-Agent", alice.product),
            ("Content-Type", "text/plain"),
        ], body: "Are you there?")
        let notFound = SIPMessage.response(to: message, 404, toTag: hexToken("message/404") + ".e1d2",
                                           headers: [("Server", proxy.product)])
        var script = CaptureScript(hep: false)
        let flow: [(Int, SIPMessage, Endpoint, Endpoint)] = [
            (0, register1, a, p), (3, challenge, p, a), (10, register2, a, p), (14, registered, p, a),
            (1000, options, p, b), (1002, optionsOK, b, p),
            (2000, message, a, p), (2003, notFound, p, a),
        ]
        for (ms, m, from, to) in flow { script.send(m, from: from, to: to, at: ms) }
        let done = script.finish()
        return done.scenario("register-and-options",
                             "Plain UDP: REGISTER 401 / REGISTER with auth 200 (one Call-ID, CSeq 1 and 2); "
                                 + "OPTIONS 200; MESSAGE 404. Completed, completed, rejected.",
                             groups: [done.group(nil, [
                                 done.call(registerCallID, state: .completed, finalStatus: 200, dialogs: [],
                                           notes: ["CSeq 1 challenged with 401, CSeq 2 with Authorization accepted"]),
                                 done.call(optionsCallID, state: .completed, finalStatus: 200, dialogs: []),
                                 done.call(messageCallID, state: .rejected, finalStatus: 404, dialogs: []),
                             ])])
    }

    /// The Call-IDs of `callStates`, with the state each should end in.
    public static let callStateCallIDs: [(callID: String, state: ExpectedCallState)] = [
        ("state-busy@192.0.2.10", .busy),
        ("state-rejected@192.0.2.10", .rejected),
        ("state-failed@192.0.2.10", .failed),
        ("state-diverted@192.0.2.10", .diverted),
        ("state-incall@192.0.2.10", .inCall),
        ("state-ringing@192.0.2.10", .ringing),
        ("state-calling@192.0.2.10", .calling),
    ]

    /// Plain SIP over UDP, Alice → Bob, seven short calls 10 s apart (INVITE at 0, 10000, ...
    /// 60000); offsets below are from each call's INVITE:
    ///
    /// | Call-ID                     | messages (ms)                                   | state     | final | dialogs | PDD | set-up |
    /// |-----------------------------|-------------------------------------------------|-----------|-------|---------|-----|--------|
    /// | state-busy@192.0.2.10       | INVITE 0, 100 5, 486 60, ACK 65                 | busy      | 486   | 0       | –   | –      |
    /// | state-rejected@192.0.2.10   | INVITE 0, 403 30, ACK 35                        | rejected  | 403   | 0       | –   | –      |
    /// | state-failed@192.0.2.10     | INVITE 0, 100 5, 503 250, ACK 255               | failed    | 503   | 0       | –   | –      |
    /// | state-diverted@192.0.2.10   | INVITE 0, 100 5, 302 40 (Contact carol), ACK 45 | diverted  | 302   | 0       | –   | –      |
    /// | state-incall@192.0.2.10     | INVITE 0, 100 5, 180 120, 200 1120, ACK 1125    | in call   | 200   | 1       | 120 | 1120   |
    /// | state-ringing@192.0.2.10    | INVITE 0, 100 5, 180 120                        | ringing   | –     | 1       | 120 | –      |
    /// | state-calling@192.0.2.10    | INVITE 0                                        | calling   | –     | 0       | –   | –      |
    ///
    /// - 24 frames, 24 SIP messages. Non-2xx ACKs reuse the INVITE's branch.
    public static func callStates() -> ScenarioCapture {
        var script = CaptureScript(hep: false)
        var legs: [String: CallLeg] = [:]
        for (i, entry) in callStateCallIDs.enumerated() {
            let leg = CallLeg(callID: entry.callID, caller: .alice, callee: .bob, fromTag: hexToken(entry.callID + "/from"),
                              toTag: hexToken(entry.callID + "/to"), branchSeed: hexToken(entry.callID + "/branch"))
            legs[entry.callID] = leg
            let a = leg.caller.endpoint, b = leg.callee.endpoint
            let invite = leg.invite()
            func final(_ status: Int, extra: [(String, String)] = []) -> SIPMessage {
                leg.response(to: invite, status, headers: extra)
            }
            var flow: [(Int, SIPMessage, Endpoint, Endpoint)] = [(0, invite, a, b)]
            switch entry.state {
            case .busy:
                let r = final(486)
                flow += [(5, leg.response(to: invite, 100), b, a), (60, r, b, a), (65, leg.ack(for: r), a, b)]
            case .rejected:
                let r = final(403)
                flow += [(30, r, b, a), (35, leg.ack(for: r), a, b)]
            case .failed:
                let r = final(503, extra: [("Retry-After", "60")])
                flow += [(5, leg.response(to: invite, 100), b, a), (250, r, b, a), (255, leg.ack(for: r), a, b)]
            case .diverted:
                let r = final(302, extra: [("Contact", "<sip:carol@192.0.2.30:5060;transport=udp>")])
                flow += [(5, leg.response(to: invite, 100), b, a), (40, r, b, a), (45, leg.ack(for: r), a, b)]
            case .inCall:
                let r = final(200)
                flow += [(5, leg.response(to: invite, 100), b, a), (120, leg.response(to: invite, 180), b, a),
                         (1120, r, b, a), (1125, leg.ack(for: r), a, b)]
            case .ringing:
                flow += [(5, leg.response(to: invite, 100), b, a), (120, leg.response(to: invite, 180), b, a)]
            case .calling:
                break
            default:
                preconditionFailure("no script for \(entry.state)")
            }
            for (ms, m, from, to) in flow { script.send(m, from: from, to: to, at: i * 10_000 + ms) }
        }
        let done = script.finish()
        func call(_ n: Int, final: Int?, dialogs: Bool = false, timings: ExpectedTimings = .none) -> ExpectedCall {
            let (id, state) = callStateCallIDs[n]
            return done.call(id, state: state, finalStatus: final, dialogs: dialogs ? [legs[id]!.toTag] : [],
                             timings: timings)
        }
        return done.scenario("call-states",
                             "Plain UDP: seven calls ending busy (486), rejected (403), failed (503), diverted (302), "
                                 + "in call (200 + ACK, no BYE), ringing (180 only), calling (INVITE only).",
                             groups: [done.group(nil, [
                                 call(0, final: 486), call(1, final: 403), call(2, final: 503), call(3, final: 302),
                                 call(4, final: 200, dialogs: true, timings: ExpectedTimings(pddMs: 120, setupMs: 1120)),
                                 call(5, final: nil, dialogs: true, timings: ExpectedTimings(pddMs: 120)),
                                 call(6, final: nil),
                             ])])
    }
}

extension Scenarios {
    /// Plain UDP: Alice's INVITE to the proxy at 0 ms, the same bytes 1 ms later between the
    /// addresses of a NAT hop (198.51.100.1 -> 203.0.113.5: a NAT rewrites addresses, not SIP),
    /// the proxy's 100 at 2 ms, then Alice's INVITE again at 500 ms (a real retransmission).
    /// 4 frames; 4 messages kept, one of them a retransmission.
    public static func forwardedThroughNAT() -> [UInt8] {
        let leg = CallLeg(callID: "nat-hop-1@192.0.2.10", caller: .alice, callee: .proxy, fromTag: hexToken("nat/from"),
                          toTag: hexToken("nat/to"), branchSeed: hexToken("nat/branch"))
        let invite = leg.invite()
        var script = CaptureScript(hep: false)
        let a = leg.caller.endpoint, p = leg.callee.endpoint
        script.send(invite, from: a, to: p, at: 0)
        script.send(invite, from: ipv4("198.51.100.1", 40000), to: ipv4("203.0.113.5", 5060), at: 1)
        script.send(leg.response(to: invite, 100), from: p, to: a, at: 2)
        script.send(invite, from: a, to: p, at: 500)
        return script.finish().pcap
    }
}
