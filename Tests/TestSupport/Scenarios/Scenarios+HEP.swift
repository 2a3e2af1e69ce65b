import WireDecoding

extension Scenarios {
    public static let duplicateCallID = "dup-call-1@192.0.2.10"

    /// HEPv3 over UDP to 198.51.100.100:9060, correlation id "dup-run": one basic call Alice
    /// (192.0.2.10) → Bob (192.0.2.20), INVITE at 0 (standard times). Every message is sent by two
    /// capture agents with identical payload: capture id 1, node "edge" (from 198.51.100.11) at
    /// the message's time, and capture id 2, node "core" (from 198.51.100.12) 3 ms later. The
    /// edge record of the 180 (at 120 ms) is written twice, one frame after the other: an exact
    /// duplicate (same capture id, timestamp and bytes).
    ///
    /// - 15 frames, 15 SIP records, all HEPv3; 1 group "dup-run" with 1 call `dup-call-1@192.0.2.10`.
    /// - Expected: 7 messages (INVITE 100 180 200 ACK BYE 200), each with 2 sightings (capture ids
    ///   1 then 2, hop delay 3 ms); 1 exact duplicate, counted once; no retransmissions.
    ///   State completed; PDD 120, set-up 1120, duration 3000 (from the first sighting).
    public static func duplicateSightings() -> ScenarioCapture {
        let leg = CallLeg(callID: duplicateCallID, caller: .alice, callee: .bob, fromTag: hexToken("dup/from"),
                          toTag: hexToken("dup/to"), branchSeed: hexToken("dup/branch"))
        var script = CaptureScript(hep: true)
        script.basicCall(leg, at: 0, correlation: "dup-run", agents: [.edge, .core])
        script.writeAgain(message: 2)
        let done = script.finish()
        let call = done.call(duplicateCallID, correlation: "dup-run", state: .completed, finalStatus: 200,
                             dialogs: [leg.toTag], timings: BasicCallTimes.standard.timings,
                             notes: ["every message seen by capture id 1 (edge) and 3 ms later by capture id 2 (core)",
                                     "the edge record of the 180 is in the file twice (frames 5 and 6)"])
        return done.scenario("duplicate-sightings",
                             "HEPv3, correlation id dup-run: one basic call, every message captured by edge (id 1) "
                                 + "and core (id 2, +3 ms); the edge 180 record written twice. 7 messages x 2 "
                                 + "sightings, 1 exact duplicate.",
                             groups: [done.group("dup-run", [call])])
    }

    public static let hlogCallID = "log-call-1@192.0.2.10"

    /// HEPv3, correlation id "log-run": one basic call Alice → Bob (`log-call-1@192.0.2.10`,
    /// INVITE at 100, standard times, sent by Kamailio, capture id 1) and five events:
    ///
    /// | ms   | type | correlation id          | from → to                          | text |
    /// |------|------|-------------------------|------------------------------------|------|
    /// | 0    | 100  | log-run                 | 192.0.2.1:5060 → 198.51.100.100:9060 | run started |
    /// | 101  | 100  | log-run                 | same                               | INVITE routed |
    /// | 1226 | 100  | log-call-1@192.0.2.10   | same                               | hlog without id: Kamailio puts the Call-ID |
    /// | 3220 | 5    | log-call-1@192.0.2.10   | 192.0.2.10:49171 → 192.0.2.20:51373 | rtpengine RTCP-JSON |
    /// | 4300 | 100  | log-run                 | 192.0.2.1:5060 → 198.51.100.100:9060 | run finished |
    ///
    /// - 12 frames: 7 SIP records, 5 events (4 of type 100, 1 of type 5).
    /// - Expected: group "log-run" holds the call (7 messages, completed, PDD 120, set-up 1120,
    ///   duration 3000) and 3 events of its own; the 2 events correlated by the Call-ID attach to
    ///   the call `log-call-1@192.0.2.10` (a model without that rule shows them in a group named
    ///   by the Call-ID instead).
    public static func hlogEvents() -> ScenarioCapture {
        let leg = CallLeg(callID: hlogCallID, caller: .alice, callee: .bob, fromTag: hexToken("log/from"),
                          toTag: hexToken("log/to"), branchSeed: hexToken("log/branch"))
        var script = CaptureScript(hep: true)
        let kamailio = UserAgent.proxy.endpoint, collector = CaptureScript.collector
        func hlog(_ ms: Int, _ text: String, correlation: String, attach: ExpectedEvent.Attachment) {
            script.event(HEPPayloadType.log, text, from: kamailio, to: collector, at: ms, correlation: correlation,
                         agent: .kamailio, attachesTo: attach)
        }
        hlog(0, "[run log-run] scenario uac-basic started: 1 call, rate 1 cps", correlation: "log-run",
             attach: .group("log-run"))
        script.basicCall(leg, at: 100, correlation: "log-run")
        hlog(101, "[log-run] INVITE sip:bob@example.com from sip:alice@example.com (192.0.2.10:5060) "
             + "relayed to sip:bob@192.0.2.20:5060", correlation: "log-run", attach: .group("log-run"))
        hlog(1226, "ACK received: dialog \(hlogCallID) confirmed", correlation: hlogCallID, attach: .call(hlogCallID))
        let rtcp = "{\"type\":200,\"ssrc\":1392342867,\"report_count\":1,\"sender_information\":"
            + "{\"ntp_timestamp_sec\":3988988802,\"ntp_timestamp_usec\":120000,\"rtp_timestamp\":16000,"
            + "\"packets\":100,\"octets\":16000},\"report_blocks\":[{\"source_ssrc\":2786443129,"
            + "\"highest_seq_no\":1199,\"fraction_lost\":0,\"ia_jitter\":3,\"packets_lost\":0,"
            + "\"lsr\":2181038080,\"dlsr\":65536}]}"
        script.event(HEPPayloadType.rtcpJSON, rtcp, from: ipv4("192.0.2.10", 49171),
                     to: ipv4("192.0.2.20", 51373), at: 3220, correlation: hlogCallID, agent: .rtpengine,
                     attachesTo: .call(hlogCallID))
        hlog(4300, "[run log-run] scenario uac-basic finished: 1 call, 1 successful, 0 failed",
             correlation: "log-run", attach: .group("log-run"))
        let done = script.finish()
        let call = done.call(hlogCallID, correlation: "log-run", state: .completed, finalStatus: 200,
                             dialogs: [leg.toTag], timings: BasicCallTimes.standard.timings,
                             notes: ["two events carry the Call-ID as correlation id: one hlog (type 100), one RTCP-JSON (type 5)"])
        return done.scenario("hlog-events",
                             "HEPv3, correlation id log-run: one basic call, 3 type-100 log events with correlation "
                                 + "log-run (group), 1 type-100 log and 1 type-5 RTCP-JSON with correlation = Call-ID "
                                 + "(call).",
                             groups: [done.group("log-run", [call])])
    }

    public static let reusedCallID = "reused-1@host"

    /// HEPv3: two test runs, correlation ids "run-1" (INVITE at 0) and "run-2" (INVITE at
    /// 10000), each one basic call Alice → Bob with the Call-ID `reused-1@host`. A restarted sipp
    /// writes the very same messages again: apart from their time and correlation id, the two
    /// runs' records are byte-identical (same tags, branches, SDP), so neither duplicate nor
    /// retransmission detection may merge them.
    ///
    /// - 14 frames, 14 SIP records (capture id 1, no node name).
    /// - Expected: two groups ("run-1", "run-2"), each with one call `reused-1@host` of 7
    ///   messages, completed, PDD 120, set-up 1120, duration 3000; no retransmissions.
    public static func reusedCallIDAcrossSessions() -> ScenarioCapture {
        let leg = CallLeg(callID: reusedCallID, caller: .alice, callee: .bob, fromTag: "1SIPpTag001",
                          toTag: "1SIPpTag011", branchSeed: "-1-1")
        var script = CaptureScript(hep: true)
        script.basicCall(leg, at: 0, correlation: "run-1")
        script.basicCall(leg, at: 10_000, correlation: "run-2")
        let done = script.finish()
        let groups = ["run-1", "run-2"].map { run in
            done.group(run, [done.call(reusedCallID, correlation: run, state: .completed, finalStatus: 200,
                                       dialogs: [leg.toTag], timings: BasicCallTimes.standard.timings,
                                       notes: ["same Call-ID and identical SIP bytes in both runs"])])
        }
        return done.scenario("reused-call-id",
                             "HEPv3: correlation ids run-1 and run-2 each hold one basic call with Call-ID "
                                 + "reused-1@host (identical bytes, 10 s apart). Two groups, two separate calls.",
                             groups: groups)
    }
}
