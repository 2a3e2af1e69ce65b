import Foundation
import WireDecoding

/// One SIP header line, kept in the order it is written.
public struct SIPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A SIP request or response built from a start line, an ordered header list and a body.
///
/// `Content-Length` is never taken from the header list: it is always computed from the body and
/// written last, so a scenario cannot produce a message whose framing lies.
public struct SIPMessage: Sendable, Equatable {
    public var startLine: String
    public var headers: [SIPHeader]
    /// The body as it goes on the wire; SDP lines already end in CRLF.
    public var body: String

    public init(startLine: String, headers: [SIPHeader], body: String = "") {
        self.startLine = startLine
        self.headers = headers.filter { !$0.name.equalsIgnoringCase("Content-Length") }
        self.body = body
    }

    public static func request(_ method: String, _ uri: String, headers: [(String, String)],
                               body: String = "") -> SIPMessage {
        SIPMessage(startLine: "\(method) \(uri) SIP/2.0", headers: headers.map { SIPHeader($0.0, $0.1) }, body: body)
    }

    public static func response(_ status: Int, _ reason: String? = nil, headers: [(String, String)],
                                body: String = "") -> SIPMessage {
        SIPMessage(startLine: "SIP/2.0 \(status) \(reason ?? SIPMessage.reasonPhrase(status))",
                   headers: headers.map { SIPHeader($0.0, $0.1) }, body: body)
    }

    /// A response as a UAS builds it (RFC 3261 §8.2.6.2): Via (all of them, in order),
    /// Record-Route (for dialog-creating responses), From, To (plus `toTag` when the request had
    /// none), Call-ID and CSeq are copied from the request; `headers` follow them.
    public static func response(to request: SIPMessage, _ status: Int, _ reason: String? = nil, toTag: String? = nil,
                                headers extra: [(String, String)] = [], body: String = "") -> SIPMessage {
        var copied: [SIPHeader] = []
        let method = request.method ?? ""
        for h in request.headers {
            switch h.name.lowercased() {
            case "via", "from", "call-id", "cseq":
                copied.append(h)
            case "record-route" where method == "INVITE" && status > 100 && status < 300:
                copied.append(h)
            case "to":
                if let tag = toTag, request.toTag == nil {
                    copied.append(SIPHeader(h.name, h.value + ";tag=" + tag))
                } else {
                    copied.append(h)
                }
            default:
                break
            }
        }
        return SIPMessage(startLine: "SIP/2.0 \(status) \(reason ?? SIPMessage.reasonPhrase(status))",
                          headers: copied + extra.map { SIPHeader($0.0, $0.1) }, body: body)
    }

    // MARK: reading back

    public var isRequest: Bool { !startLine.hasPrefix("SIP/2.0 ") }

    public var method: String? {
        isRequest ? String(startLine.prefix { $0 != " " }) : nil
    }

    public var status: Int? {
        guard !isRequest else { return nil }
        return Int(startLine.dropFirst(8).prefix(3))
    }

    /// "INVITE" for requests, "180" for responses: how ladders and tests name a message.
    public var label: String { method ?? status.map(String.init) ?? startLine }

    public func values(_ name: String) -> [String] {
        headers.filter { $0.name.equalsIgnoringCase(name) }.map(\.value)
    }

    public func value(_ name: String) -> String? { values(name).first }

    public var callID: String { value("Call-ID") ?? "" }
    public var cseq: String { value("CSeq") ?? "" }
    public var cseqMethod: String { String(cseq.split(separator: " ").last ?? "") }
    public var topViaBranch: String? { value("Via").flatMap { SIPMessage.parameter("branch", in: $0) } }
    public var fromTag: String? { value("From").flatMap { SIPMessage.parameter("tag", in: $0) } }
    public var toTag: String? { value("To").flatMap { SIPMessage.parameter("tag", in: $0) } }

    // MARK: editing

    public func adding(_ name: String, _ value: String) -> SIPMessage {
        var m = self
        m.headers.append(SIPHeader(name, value))
        return m
    }

    /// Replaces the first header of that name in place (or appends one).
    public func replacing(_ name: String, with value: String) -> SIPMessage {
        var m = self
        if let i = m.headers.firstIndex(where: { $0.name.equalsIgnoringCase(name) }) {
            m.headers[i].value = value
        } else {
            m.headers.append(SIPHeader(name, value))
        }
        return m
    }

    /// A request as a record-routing proxy forwards it (RFC 3261 §16.6): its own Via on top,
    /// Record-Route before it, Max-Forwards decremented, the Request-URI possibly retargeted.
    public func forwarded(via: String, recordRoute: String? = nil, requestURI: String? = nil) -> SIPMessage {
        precondition(isRequest, "only requests are forwarded downstream")
        var m = self
        if let uri = requestURI, let method {
            m.startLine = "\(method) \(uri) SIP/2.0"
        }
        if let i = m.headers.firstIndex(where: { $0.name.equalsIgnoringCase("Max-Forwards") }),
           let n = Int(m.headers[i].value) {
            m.headers[i].value = String(n - 1)
        }
        var top: [SIPHeader] = []
        if let rr = recordRoute { top.append(SIPHeader("Record-Route", rr)) }
        top.append(SIPHeader("Via", via))
        m.headers.insert(contentsOf: top, at: 0)
        return m
    }

    /// A response as a proxy passes it upstream (RFC 3261 §16.7): its own top Via removed.
    public func forwardedUpstream() -> SIPMessage {
        precondition(!isRequest, "only responses travel upstream")
        var m = self
        if let i = m.headers.firstIndex(where: { $0.name.equalsIgnoringCase("Via") }) {
            m.headers.remove(at: i)
        }
        return m
    }

    // MARK: wire form

    /// The message with CRLF line ends and a computed `Content-Length` as the last header.
    public var text: String {
        var out = startLine + "\r\n"
        for h in headers { out += "\(h.name): \(h.value)\r\n" }
        out += "Content-Length: \(body.utf8.count)\r\n\r\n"
        return out + body
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    // MARK: header parameters, reason phrases

    /// `;name=value` from a header value, looking past any `<...>` so URI parameters do not match.
    static func parameter(_ name: String, in value: String) -> String? {
        let afterURI: Substring
        if let close = value.lastIndex(of: ">") { afterURI = value[value.index(after: close)...] } else { afterURI = value[...] }
        for part in afterURI.split(separator: ";", omittingEmptySubsequences: false).dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingSpaces().equalsIgnoringCase(name) {
                return String(kv[1].trimmingSpaces())
            }
        }
        return nil
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Trying"
        case 180: "Ringing"
        case 183: "Session Progress"
        case 200: "OK"
        case 202: "Accepted"
        case 302: "Moved Temporarily"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 407: "Proxy Authentication Required"
        case 480: "Temporarily Unavailable"
        case 481: "Call/Transaction Does Not Exist"
        case 486: "Busy Here"
        case 487: "Request Terminated"
        case 488: "Not Acceptable Here"
        case 500: "Server Internal Error"
        case 503: "Service Unavailable"
        case 603: "Decline"
        default: "Unknown"
        }
    }
}

/// SDP bodies (RFC 4566) for offers and answers, with CRLF line ends as they are sent.
public enum SDP {
    /// An audio session: PCMU, PCMA and telephone-event, as desk phones and sipp offer.
    public static func audio(user: String, sessionID: UInt64, version: UInt64 = 1, address: String,
                             port: Int) -> String {
        [
            "v=0",
            "o=\(user) \(sessionID) \(version) IN IP4 \(address)",
            "s=-",
            "c=IN IP4 \(address)",
            "t=0 0",
            "m=audio \(port) RTP/AVP 0 8 101",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ].map { $0 + "\r\n" }.joined()
    }
}

extension StringProtocol {
    func equalsIgnoringCase(_ other: some StringProtocol) -> Bool {
        lowercased() == other.lowercased()
    }

    func trimmingSpaces() -> String {
        trimmingCharacters(in: .whitespaces)
    }
}
