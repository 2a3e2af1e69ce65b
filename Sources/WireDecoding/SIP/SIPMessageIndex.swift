/// Where the fields that grouping needs sit inside one SIP message. Everything is a byte range
/// relative to the start of the message, found in one pass over the header block; nothing is
/// copied and no String is made until a caller asks for one.
public struct SIPMessageIndex: Sendable, Equatable {
    public enum StartLine: Sendable, Equatable {
        case request(method: SIPMethod, methodRange: Range<Int>, uri: Range<Int>)
        case response(status: UInt16, reason: Range<Int>)
    }

    public var startLine: StartLine
    public var callID: Range<Int>?
    public var cseqNumber: UInt32?
    public var cseqMethod: Range<Int>?
    public var from: Range<Int>?
    public var to: Range<Int>?
    public var fromTag: Range<Int>?
    public var toTag: Range<Int>?
    /// The first Via header value (the top one, even when several are comma-joined).
    public var topVia: Range<Int>?
    public var viaBranch: Range<Int>?
    /// The transport token of the top Via ("UDP", "TCP", "TLS", "WS", "WSS", "SCTP").
    public var viaTransport: Range<Int>?
    public var contentLength: Int?
    /// Cross-leg correlation headers.
    public var xCallID: Range<Int>?
    public var sessionID: Range<Int>?
    public var icidValue: Range<Int>?
    /// Offset of the first body byte (just past the empty line).
    public var bodyStart: Int
    /// Length of the whole message: headers plus body as framed.
    public var length: Int

    public var isRequest: Bool { if case .request = startLine { return true } else { return false } }

    public var method: SIPMethod? {
        if case .request(let m, _, _) = startLine { return m }
        return nil
    }

    public var status: UInt16? {
        if case .response(let s, _) = startLine { return s }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes of `range` as text, for output. Invalid UTF-8 is repaired, not trusted.
    public func text(_ range: Range<Int>?) -> String? {
        guard let r = range, r.lowerBound >= 0, r.upperBound <= count else { return nil }
        return String(decoding: slice(r), as: UTF8.self)
    }
}
