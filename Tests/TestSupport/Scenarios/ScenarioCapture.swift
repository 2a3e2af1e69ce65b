import WireDecoding

/// What a call should come out as once the trace model has looked at its messages. The names
/// follow sngrep's call states where sngrep has one, so users see familiar words.
public enum ExpectedCallState: String, Sendable, CaseIterable {
    /// The initial request was sent and nothing came back.
    case calling
    /// Provisional responses (18x) only.
    case ringing
    /// Answered (2xx, ACKed) and not hung up yet.
    case inCall = "in call"
    /// Answered and hung up (BYE and its 200); for REGISTER, OPTIONS, MESSAGE: a final 2xx.
    case completed
    /// CANCEL, then 487 to the INVITE.
    case cancelled
    /// 486 Busy Here (or 600).
    case busy
    /// Any other 4xx or 6xx final response (403, 404, 603).
    case rejected
    /// 5xx.
    case failed
    /// 3xx.
    case diverted
}

/// Call set-up timings, in milliseconds, measured from the first sighting of each message.
public struct ExpectedTimings: Sendable, Equatable {
    /// Post-dial delay: first 18x to the INVITE − the first INVITE (retransmissions not counted).
    public var pddMs: Int?
    /// First 2xx to the INVITE − the first INVITE.
    public var setupMs: Int?
    /// BYE − the first 2xx to the INVITE.
    public var durationMs: Int?

    public init(pddMs: Int? = nil, setupMs: Int? = nil, durationMs: Int? = nil) {
        self.pddMs = pddMs
        self.setupMs = setupMs
        self.durationMs = durationMs
    }

    public static let none = ExpectedTimings()
}

/// One capture point's record of a SIP message.
public struct ExpectedSighting: Sendable, Equatable {
    /// HEP capture id (chunk 0x0c); nil for plain SIP frames.
    public var captureID: UInt32?
    /// HEP node name (chunk 0x13), when the agent sends one.
    public var node: String?
    public var time: Timestamp
    /// Milliseconds since `ScenarioCapture.start`.
    public var offsetMs: Int
    /// 1-based pcap frame numbers; more than one means the same record was written again
    /// (an exact duplicate: same capture id, time and bytes).
    public var frames: [Int]
}

/// One SIP message as it happened on the wire, however many capture points saw it.
public struct ExpectedMessage: Sendable {
    public var sip: SIPMessage
    /// Inner (SIP) endpoints.
    public var source: Endpoint
    public var destination: Endpoint
    public var correlationID: String?
    /// The first sighting; all sightings are listed in `sightings`, earliest first.
    public var time: Timestamp
    public var offsetMs: Int
    public var sightings: [ExpectedSighting]
    /// When these are the same bytes between the same endpoints as an earlier message of the
    /// call (a retransmission), that message's index in `ExpectedCall.messages`.
    public var retransmissionOf: Int?

    public var label: String { sip.label }
    public var method: String? { sip.method }
    public var status: Int? { sip.status }
    public var cseq: String { sip.cseq }
    public var callID: String { sip.callID }
    public var branch: String? { sip.topViaBranch }
    public var fromTag: String? { sip.fromTag }
    public var toTag: String? { sip.toTag }
    public var length: Int { sip.bytes.count }
    public var isRetransmission: Bool { retransmissionOf != nil }
    /// Last sighting − first sighting, when more than one capture point saw the message.
    public var hopDelayMs: Int? {
        sightings.count > 1 ? sightings[sightings.count - 1].offsetMs - sightings[0].offsetMs : nil
    }
    /// Every pcap frame that carries this message, in file order.
    public var frames: [Int] { sightings.flatMap(\.frames).sorted() }
}

/// A non-SIP HEP payload (log line, RTCP report).
public struct ExpectedEvent: Sendable {
    public enum Attachment: Sendable, Equatable {
        /// Belongs to the correlation group itself.
        case group(String?)
        /// Belongs to the call with this Call-ID (its correlation id is the Call-ID).
        case call(String)
    }

    /// HEP chunk 0x0b: 100 log, 5 RTCP-JSON.
    public var payloadType: UInt8
    /// HEP chunk 0x11 as sent.
    public var correlationID: String?
    public var text: String
    public var source: Endpoint
    public var destination: Endpoint
    public var captureID: UInt32
    public var time: Timestamp
    public var offsetMs: Int
    public var frame: Int
    /// Where the model is expected to show the event.
    public var attachesTo: Attachment
}

/// A call (one Call-ID within one correlation group) and what the model should derive from it.
public struct ExpectedCall: Sendable {
    public var callID: String
    public var correlationID: String?
    public var state: ExpectedCallState
    /// The outcome: the 2xx to the call's initial request method (INVITE, REGISTER, ...) when one
    /// came, else the last final response to it; nil when none came. (A forked call answered on
    /// one branch is 200 even though a 487 ends the other branch later.)
    public var finalStatus: Int?
    /// To tags of the dialogs the INVITE created, in order of appearance: early dialogs from
    /// 101–199 responses with a tag, confirmed ones from 2xx (RFC 3261 §12.1). Empty for
    /// REGISTER, OPTIONS, MESSAGE and for INVITEs answered only by 100 and a non-2xx final.
    public var dialogs: [String]
    public var timings: ExpectedTimings
    /// Distinct messages by time (retransmissions included, extra sightings merged).
    public var messages: [ExpectedMessage]
    /// Events whose correlation id is this Call-ID.
    public var events: [ExpectedEvent]
    /// Facts in prose that do not fit a field.
    public var notes: [String]

    /// SIP records the decoder emits for this call: one per frame.
    public var records: Int { messages.reduce(0) { $0 + $1.frames.count } }
    /// Records once exact duplicates are dropped.
    public var sightings: Int { messages.reduce(0) { $0 + $1.sightings.count } }
    public var exactDuplicates: Int { records - sightings }
    public var retransmissions: Int { messages.filter(\.isRetransmission).count }
    /// Method or status of each message, by time: ["INVITE", "100", "180", ...].
    public var ladder: [String] { messages.map(\.label) }
}

/// A correlation group (HEP chunk 0x11) and its content.
public struct ExpectedGroup: Sendable {
    /// nil: the uncorrelated bucket (plain SIP, or HEP without chunk 0x11).
    public var correlationID: String?
    /// In order of first message.
    public var calls: [ExpectedCall]
    /// Events attached to the group itself.
    public var events: [ExpectedEvent]
}

/// Calls of different Call-IDs that belong together because of a header they share.
public struct ExpectedLink: Sendable, Equatable {
    /// "X-CID", "Session-ID" or "P-Charging-Vector".
    public var linkedBy: String
    /// The legs, the originating one first.
    public var callIDs: [String]
    /// The header values that make the links (X-CID: each leg's parent Call-ID; Session-ID:
    /// the UUIDs shared by the legs; P-Charging-Vector: the icid-value).
    public var values: [String]

    public init(linkedBy: String, callIDs: [String], values: [String]) {
        self.linkedBy = linkedBy
        self.callIDs = callIDs
        self.values = values
    }
}

/// A synthetic capture and the exact facts it contains.
public struct ScenarioCapture: Sendable, CustomStringConvertible {
    public var name: String
    public var summary: String
    /// A classic pcap file (Ethernet, microsecond timestamps).
    public var pcap: [UInt8]
    /// The scenario's time zero; every offset counts from here.
    public var start: Timestamp
    /// Records in the pcap.
    public var frameCount: Int
    /// SIP messages the decoder emits: every frame that carries one (sightings, retransmissions
    /// and exact duplicates all count).
    public var sipRecords: Int
    /// Non-SIP HEP payloads in the pcap.
    public var eventRecords: Int
    /// Whether the SIP travels inside HEPv3 (UDP to port 9060) rather than as plain SIP over UDP.
    public var usesHEP: Bool
    /// Correlation groups in order of their first message.
    public var groups: [ExpectedGroup]
    /// Cross-leg links; empty when the scenario has none.
    public var links: [ExpectedLink]

    /// The name only: parameterised tests show it instead of the pcap bytes.
    public var description: String { name }

    public var calls: [ExpectedCall] { groups.flatMap(\.calls) }
    public var events: [ExpectedEvent] {
        (groups.flatMap(\.events) + calls.flatMap(\.events)).sorted { $0.frame < $1.frame }
    }
    public var callIDs: Set<String> { Set(calls.map(\.callID)) }
    /// Correlation ids the HEP packets carry (calls' and events'); empty for plain SIP.
    public var correlationIDs: Set<String> {
        Set(calls.flatMap { $0.messages.compactMap(\.correlationID) } + events.compactMap(\.correlationID))
    }

    /// The first call with this Call-ID (in `inGroup` when given).
    public func call(_ callID: String, inGroup correlationID: String? = nil) -> ExpectedCall? {
        calls.first { $0.callID == callID && (correlationID == nil || $0.correlationID == correlationID) }
    }
}
