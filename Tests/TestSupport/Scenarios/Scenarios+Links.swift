import WireDecoding

/// Eight hex digits derived from `seed` (FNV-1a), so tags and branches look like real ones and
/// stay the same from run to run.
func hexToken(_ seed: String) -> String {
    var h: UInt32 = 2_166_136_261
    for b in seed.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}

extension UserAgent {
    /// Session border controllers (B2BUAs) between Alice and Bob; each starts a new Call-ID.
    static let sbcA = UserAgent(user: "sbc", endpoint: ipv4("192.0.2.2", 5060), product: "edge-sbc 3.2",
                                mediaPort: 30000)
    static let sbcB = UserAgent(user: "sbc", endpoint: ipv4("192.0.2.3", 5060), product: "core-sbc 3.2",
                                mediaPort: 32000)
}

/// A call from Alice to Bob through B2BUAs: one leg per hop, each with its own Call-ID. The
/// caller keeps Alice's identity on every leg, as B2BUAs usually do.
struct B2BUAChain {
    var legs: [CallLeg]

    init(callIDs: [String], hops: [UserAgent]) {
        precondition(hops.count == callIDs.count + 1)
        legs = callIDs.enumerated().map { i, callID in
            var caller = hops[i]
            caller.user = "alice"
            caller.display = "Alice"
            var callee = hops[i + 1]
            callee.user = "bob"
            callee.display = "Bob"
            return CallLeg(callID: callID, caller: caller, callee: callee, fromTag: hexToken(callID + "/from"),
                           toTag: hexToken(callID + "/to"), branchSeed: hexToken(callID + "/branch"))
        }
    }

    /// Offsets of leg `i`'s messages: each hop answers 100 at once and forwards the INVITE 4 ms
    /// later; 180 and 200 travel back 2 and 4 ms per hop; each ACK follows its 200 by 2 ms; Alice
    /// hangs up 3 s after the last ACK and each hop passes the BYE on 4 ms later.
    func times(_ i: Int) -> (invite: Int, times: BasicCallTimes) {
        let n = legs.count, k = n - 1 - i
        let invite = 4 * i
        let answer = 1120 + 4 * k
        let byeStart = 1120 + 4 * (n - 1) + 2 + 3000
        let bye = byeStart + 4 * i
        return (invite, BasicCallTimes(trying: 2, ringing: 120 + 2 * k - invite, answer: answer - invite,
                                       ack: answer + 2 - invite, bye: bye - invite, byeOK: bye + 2 - invite))
    }

    /// Records every leg as a basic call; `rank(i)` moves leg `i` in the file, not in time.
    func record(into script: inout CaptureScript, at ms: Int, rank: (Int) -> Int = { _ in 0 }) {
        for i in legs.indices {
            let (invite, times) = times(i)
            script.basicCall(legs[i], at: ms + invite, times: times, rank: rank(i))
        }
    }
}

extension Scenarios {
    /// Call-IDs of `xcidChain`, A (Alice's leg) first.
    public static let xcidChainCallIDs = ["a-leg-8c41e2@192.0.2.10", "b-leg-3f07d9@192.0.2.2", "c-leg-91b5a6@192.0.2.3"]
    /// Call-IDs of `outOfOrderLinks`, A first.
    public static let outOfOrderCallIDs = ["a-leg-5d2e90@192.0.2.10", "b-leg-e7713c@192.0.2.2", "c-leg-0b48fa@192.0.2.3"]

    /// Alice → SBC-A → SBC-B → Bob, plain SIP over UDP, three Call-IDs. SBC-A's INVITE (leg B)
    /// carries `X-CID: <leg A's Call-ID>`, SBC-B's INVITE (leg C) `X-CID: <leg B's Call-ID>`: the
    /// link is transitive, three legs deep, and only on the INVITEs.
    ///
    /// - 21 frames, 21 SIP messages, no events, no HEP: everything in the uncorrelated group.
    /// - Legs (Call-ID: endpoints, timings), each INVITE/100/180/200/ACK/BYE/200, state completed:
    ///   - A `a-leg-8c41e2@192.0.2.10`: 192.0.2.10 → 192.0.2.2; INVITE at 0; PDD 124, set-up 1128, duration 3002
    ///   - B `b-leg-3f07d9@192.0.2.2`: 192.0.2.2 → 192.0.2.3; INVITE at 4; PDD 118, set-up 1120, duration 3010
    ///   - C `c-leg-91b5a6@192.0.2.3`: 192.0.2.3 → 192.0.2.20; INVITE at 8; PDD 112, set-up 1112, duration 3018
    /// - Expected: ONE linked group of the three calls, linked by "X-CID".
    public static func xcidChain() -> ScenarioCapture {
        chainScenario(name: "xcid-chain", callIDs: xcidChainCallIDs, reversedFileOrder: false, summary:
            "Three B2BUA legs A -> B -> C over plain UDP; B's INVITE carries X-CID = A's Call-ID, C's INVITE "
            + "X-CID = B's Call-ID; all complete normally. One linked group of 3 calls (X-CID).")
    }

    /// The `xcidChain` call with other Call-IDs, written leg C first, then leg B, then leg A: each
    /// leg's frames are in time order, but the file is not (frame times go back twice). A model
    /// that links only to calls it has already seen meets C's X-CID before B exists, and B's
    /// before A exists.
    ///
    /// - 21 frames: 1–7 leg C, 8–14 leg B, 15–21 leg A; times and timings as in `xcidChain`:
    ///   - A `a-leg-5d2e90@192.0.2.10`: PDD 124, set-up 1128, duration 3002
    ///   - B `b-leg-e7713c@192.0.2.2`: PDD 118, set-up 1120, duration 3010
    ///   - C `c-leg-0b48fa@192.0.2.3`: PDD 112, set-up 1112, duration 3018
    /// - Expected: still one linked group of 3 calls (X-CID), all completed.
    public static func outOfOrderLinks() -> ScenarioCapture {
        chainScenario(name: "out-of-order-links", callIDs: outOfOrderCallIDs, reversedFileOrder: true, summary:
            "The X-CID chain A -> B -> C written leg C first, then B, then A (file order differs from time "
            + "order). Still one linked group of 3 calls (X-CID).")
    }

    private static func chainScenario(name: String, callIDs: [String], reversedFileOrder: Bool,
                                      summary: String) -> ScenarioCapture {
        var chain = B2BUAChain(callIDs: callIDs, hops: [.alice, .sbcA, .sbcB, .bob])
        for i in 1..<chain.legs.count {
            chain.legs[i].inviteHeaders = [("X-CID", callIDs[i - 1])]
        }
        var script = CaptureScript(hep: false)
        chain.record(into: &script, at: 0, rank: { reversedFileOrder ? callIDs.count - 1 - $0 : 0 })
        let done = script.finish()
        let timings = [
            ExpectedTimings(pddMs: 124, setupMs: 1128, durationMs: 3002),
            ExpectedTimings(pddMs: 118, setupMs: 1120, durationMs: 3010),
            ExpectedTimings(pddMs: 112, setupMs: 1112, durationMs: 3018),
        ]
        let calls = chain.legs.indices.map { i in
            done.call(callIDs[i], state: .completed, finalStatus: 200, dialogs: [chain.legs[i].toTag],
                      timings: timings[i],
                      notes: i == 0 ? ["originating leg: no X-CID"] : ["INVITE carries X-CID: \(callIDs[i - 1])"])
        }
        return done.scenario(name, summary, groups: [done.group(nil, calls)], links: [
            ExpectedLink(linkedBy: "X-CID", callIDs: callIDs, values: Array(callIDs.dropLast())),
        ])
    }

    /// Call-IDs of `sessionIDAndICID`: the Session-ID pair, then the P-Charging-Vector pair.
    public static let sessionIDCallIDs = ["sid-a-2a9c41@192.0.2.10", "sid-b-77e0d3@192.0.2.2"]
    public static let icidCallIDs = ["icid-a-c5f218@192.0.2.10", "icid-b-4b6e07@192.0.2.2"]
    /// RFC 7989 UUIDs: Alice's (the caller's) and Bob's (the callee's).
    public static let sessionIDCaller = "ab30317f1a784dc48ff824d0d3715d86"
    public static let sessionIDCallee = "47755a9de7794ba387653f2099600ef2"
    public static let icidValue = "AyretyU0dm+6O2IrT5tAFrbHLso=023551024"

    /// Two calls of two legs each (Alice → SBC-A → Bob), plain SIP over UDP, no X-CID:
    ///
    /// - Pair 1 (INVITEs at 0 and 4) shares only an RFC 7989 `Session-ID`: the INVITEs carry
    ///   `ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000`, Bob's side
    ///   `47755a9de7794ba387653f2099600ef2;remote=ab30…`, later requests from Alice's side
    ///   `ab30…;remote=4775…`: every message of both legs carries one of the two UUIDs, as an
    ///   intermediary that passes Session-ID on produces.
    /// - Pair 2 (INVITEs at 10000 and 10004) shares only `P-Charging-Vector:
    ///   icid-value="AyretyU0dm+6O2IrT5tAFrbHLso=023551024";icid-generated-at=192.0.2.10;orig-ioi=example.com`
    ///   on every message (quoted, as the value holds '='; the link value is without the quotes).
    /// - 28 frames, 28 SIP messages; 4 calls, each a completed basic call; leg A: PDD 122,
    ///   set-up 1124, duration 3002; leg B: PDD 116, set-up 1116, duration 3010 (both pairs).
    /// - Expected: two linked groups of two calls: [sid-a, sid-b] by "Session-ID",
    ///   [icid-a, icid-b] by "P-Charging-Vector".
    public static func sessionIDAndICID() -> ScenarioCapture {
        let null = String(repeating: "0", count: 32)
        var sid = B2BUAChain(callIDs: sessionIDCallIDs, hops: [.alice, .sbcA, .bob])
        for i in sid.legs.indices {
            sid.legs[i].inviteHeaders = [("Session-ID", "\(sessionIDCaller);remote=\(null)")]
            sid.legs[i].callerHeaders = [("Session-ID", "\(sessionIDCaller);remote=\(sessionIDCallee)")]
            sid.legs[i].calleeHeaders = [("Session-ID", "\(sessionIDCallee);remote=\(sessionIDCaller)")]
        }
        var icid = B2BUAChain(callIDs: icidCallIDs, hops: [.alice, .sbcA, .bob])
        let vector = "icid-value=\"\(icidValue)\";icid-generated-at=192.0.2.10;orig-ioi=example.com"
        for i in icid.legs.indices {
            icid.legs[i].callerHeaders = [("P-Charging-Vector", vector)]
            icid.legs[i].calleeHeaders = [("P-Charging-Vector", vector)]
        }
        var script = CaptureScript(hep: false)
        sid.record(into: &script, at: 0)
        icid.record(into: &script, at: 10_000)
        let done = script.finish()
        let legTimings = [
            ExpectedTimings(pddMs: 122, setupMs: 1124, durationMs: 3002),
            ExpectedTimings(pddMs: 116, setupMs: 1116, durationMs: 3010),
        ]
        var calls: [ExpectedCall] = []
        for (chain, header) in [(sid, "Session-ID"), (icid, "P-Charging-Vector")] {
            for (i, leg) in chain.legs.enumerated() {
                calls.append(done.call(leg.callID, state: .completed, finalStatus: 200, dialogs: [leg.toTag],
                                       timings: legTimings[i], notes: ["linked only by \(header)"]))
            }
        }
        return done.scenario("session-id-and-icid",
                             "Two 2-leg calls: one pair linked only by RFC 7989 Session-ID, the other only by "
                                 + "P-Charging-Vector icid-value. Two linked groups of two calls.",
                             groups: [done.group(nil, calls)],
                             links: [
                                 ExpectedLink(linkedBy: "Session-ID", callIDs: sessionIDCallIDs,
                                              values: [sessionIDCaller, sessionIDCallee]),
                                 ExpectedLink(linkedBy: "P-Charging-Vector", callIDs: icidCallIDs, values: [icidValue]),
                             ])
    }
}

extension Scenarios {
    /// Call-IDs of `legLinkedIntoSession`: three calls of session "link-run", then the leg
    /// without a correlation id that X-CID links to the first.
    public static let linkedIntoSessionCallIDs = ["run-a1@192.0.2.10", "run-a2@192.0.2.10", "run-a3@192.0.2.10",
                                                  "other-u1@192.0.2.2"]

    /// HEPv3: three basic calls Alice → Bob with correlation id "link-run" (INVITEs at 0, 1000,
    /// 2000), then a basic call from the SBC with no correlation id (INVITE at 3000) whose INVITE
    /// carries `X-CID: run-a1@192.0.2.10`: the model moves that leg into "link-run", at the end of
    /// its list of calls. 28 frames, all calls completed. (For the memory budget's tests: dropping
    /// run-a1 sends the linked leg back to the uncorrelated bucket.) `linkedLegFirst`: the
    /// SBC's leg comes first (INVITE at 0), the session's calls 1000 ms apart after it.
    public static func legLinkedIntoSession(linkedLegFirst: Bool = false) -> [UInt8] {
        var script = CaptureScript(hep: true)
        for (i, id) in linkedIntoSessionCallIDs.enumerated() {
            var leg = CallLeg(callID: id, caller: i < 3 ? .alice : .sbcA, callee: .bob, fromTag: hexToken(id + "/from"),
                              toTag: hexToken(id + "/to"), branchSeed: hexToken(id + "/branch"))
            if i == 3 { leg.inviteHeaders = [("X-CID", linkedIntoSessionCallIDs[0])] }
            let at = linkedLegFirst ? (i == 3 ? 0 : (i + 1) * 1000) : i * 1000
            script.basicCall(leg, at: at, correlation: i < 3 ? "link-run" : nil)
        }
        return script.finish().pcap
    }
}
