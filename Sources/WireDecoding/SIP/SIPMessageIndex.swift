/// Where the fields that grouping needs sit inside one SIP message. Everything is a byte range
/// relative to the start of the message, found in one pass over the header block; nothing is
/// copied and no String is made until a caller asks for one.
public struct SIPMessageIndex: Sendable, Equatable {
    public enum StartLine: Sendable, Equatable {
        case request(method: SIPMethod, methodRange: Range<Int>, uri: Range<Int>)
        case response(status: UInt16, reason: Range<Int>)
    }

    // Ranges are kept as pairs of 16-bit offsets (the parser refuses header blocks past
    // SIPParser.maximumHeaderBytes): this index travels by value with every message, copied
    // from parser to decoder to batch and back, and optional Range<Int>s made it seven times
    // as large.
    private var isResponse: Bool
    private var methodOrZero: SIPMethod
    private var statusCode: UInt16
    private var line1 = HeaderRange.none
    private var line2 = HeaderRange.none
    private var storedCallID = HeaderRange.none
    private var storedCSeqMethod = HeaderRange.none
    private var storedFrom = HeaderRange.none
    private var storedTo = HeaderRange.none
    private var storedTopVia = HeaderRange.none
    private var storedViaBranch = HeaderRange.none
    private var storedViaTransport = HeaderRange.none
    private var storedXCallID = HeaderRange.none
    private var storedSessionID = HeaderRange.none
    private var storedICID = HeaderRange.none
    private var storedCSeqNumber: UInt32 = 0
    private var hasCSeqNumber = false
    private var storedContentLength: Int32 = -1
    private var storedBodyStart: UInt32 = 0
    private var storedLength: UInt32 = 0

    public init(startLine: StartLine, bodyStart: Int, length: Int) {
        switch startLine {
        case .request(let m, let methodRange, let uri):
            isResponse = false
            methodOrZero = m
            statusCode = 0
            line1 = HeaderRange(methodRange)
            line2 = HeaderRange(uri)
        case .response(let status, let reason):
            isResponse = true
            methodOrZero = .other
            statusCode = status
            line1 = HeaderRange(reason)
        }
        storedBodyStart = UInt32(truncatingIfNeeded: bodyStart)
        storedLength = UInt32(truncatingIfNeeded: length)
    }

    public var startLine: StartLine {
        isResponse ? .response(status: statusCode, reason: line1.range ?? 0..<0)
                   : .request(method: methodOrZero, methodRange: line1.range ?? 0..<0, uri: line2.range ?? 0..<0)
    }

    public var callID: Range<Int>? { get { storedCallID.range } set { storedCallID = HeaderRange(newValue) } }
    public var cseqNumber: UInt32? {
        get { hasCSeqNumber ? storedCSeqNumber : nil }
        set { hasCSeqNumber = newValue != nil; storedCSeqNumber = newValue ?? 0 }
    }
    public var cseqMethod: Range<Int>? { get { storedCSeqMethod.range } set { storedCSeqMethod = HeaderRange(newValue) } }
    public var from: Range<Int>? { get { storedFrom.range } set { storedFrom = HeaderRange(newValue) } }
    public var to: Range<Int>? { get { storedTo.range } set { storedTo = HeaderRange(newValue) } }
    // Tags are found when asked, in the From or To value: a call needs them from a few of its
    // messages (its dialog-creating responses, an INVITE's To), and looking for them in every
    // message was a tenth of the decoding.
    /// The From header's tag parameter, in `message` (the bytes this index was made from).
    public func fromTag(in message: UnsafeRawBufferPointer) -> Range<Int>? {
        from.flatMap { message.tagParameter(in: $0) }
    }
    /// The To header's tag parameter, in `message` (the bytes this index was made from).
    public func toTag(in message: UnsafeRawBufferPointer) -> Range<Int>? {
        to.flatMap { message.tagParameter(in: $0) }
    }
    /// The first Via header value (the top one, even when several are comma-joined).
    public var topVia: Range<Int>? { get { storedTopVia.range } set { storedTopVia = HeaderRange(newValue) } }
    public var viaBranch: Range<Int>? { get { storedViaBranch.range } set { storedViaBranch = HeaderRange(newValue) } }
    /// The transport token of the top Via ("UDP", "TCP", "TLS", "WS", "WSS", "SCTP").
    public var viaTransport: Range<Int>? { get { storedViaTransport.range } set { storedViaTransport = HeaderRange(newValue) } }
    public var contentLength: Int? {
        get { storedContentLength < 0 ? nil : Int(storedContentLength) }
        set { storedContentLength = newValue.map { Int32(clamping: $0) } ?? -1 }
    }
    /// Cross-leg correlation headers.
    public var xCallID: Range<Int>? { get { storedXCallID.range } set { storedXCallID = HeaderRange(newValue) } }
    public var sessionID: Range<Int>? { get { storedSessionID.range } set { storedSessionID = HeaderRange(newValue) } }
    public var icidValue: Range<Int>? { get { storedICID.range } set { storedICID = HeaderRange(newValue) } }
    /// Offset of the first body byte (just past the empty line).
    public var bodyStart: Int { get { Int(storedBodyStart) } set { storedBodyStart = UInt32(truncatingIfNeeded: newValue) } }
    /// Length of the whole message: headers plus body as framed.
    public var length: Int { get { Int(storedLength) } set { storedLength = UInt32(truncatingIfNeeded: newValue) } }

    public var isRequest: Bool { !isResponse }

    public var method: SIPMethod? { isResponse ? nil : methodOrZero }

    public var status: UInt16? { isResponse ? statusCode : nil }
}

/// A byte range in two offsets of a fixed width; "none" is an empty range at the type's maximum.
struct PackedRange<Offset: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable, Equatable {
    var lower: Offset
    var upper: Offset

    static var none: PackedRange { PackedRange(lower: .max, upper: .max) }

    init(lower: Offset, upper: Offset) {
        self.lower = lower
        self.upper = upper
    }

    init(_ r: Range<Int>?) {
        if let r, r.lowerBound >= 0, r.upperBound < Int(Offset.max) {
            lower = Offset(r.lowerBound)
            upper = Offset(r.upperBound)
        } else {
            self = .none
        }
    }

    @inline(__always) var range: Range<Int>? {
        lower == .max ? nil : Int(lower)..<Int(upper)
    }
}

/// A range inside a SIP header block, in 4 bytes.
typealias HeaderRange = PackedRange<UInt16>
/// A range in a batch's bytes, in 8 bytes.
typealias CompactRange = PackedRange<UInt32>

extension UnsafeRawBufferPointer {
    /// The bytes of `range` as text, for output. Invalid UTF-8 is repaired, not trusted.
    public func text(_ range: Range<Int>?) -> String? {
        guard let r = range, r.lowerBound >= 0, r.upperBound <= count else { return nil }
        return String(decoding: slice(r), as: UTF8.self)
    }
}
