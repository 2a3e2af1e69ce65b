/// What one TCP direction carries, decided from its first bytes, and the framer for it.
struct StreamState {
    enum Kind {
        case sipOrHEP, webSocket
        /// Too few bytes yet to tell (a first segment of "INVITE sip" or "HEP"): kept until
        /// they do.
        case undetermined
    }

    enum Piece {
        case sip(UnsafeRawBufferPointer, SIPMessageIndex)
        case hep(UnsafeRawBufferPointer)
        case webSocketMessage(UnsafeRawBufferPointer)
        case garbage(String)
        /// The bytes so far start no SIP, HEP or WebSocket after all: this state is of no use.
        case unrecognised

        var transport: SIPTransport { .tcp }
    }

    var kind: Kind
    var framer = StreamFramer()
    var webSocket = WebSocketStream()
    /// The first bytes, while the kind is undetermined.
    private var start: [UInt8] = []
    /// When the stream last had bytes (the decoder's clock), to drop the least used first.
    var lastUse: UInt64 = 0

    init(kind: Kind) { self.kind = kind }

    /// nil when the first bytes are not SIP, HEP or a WebSocket handshake.
    static func classify(_ b: UnsafeRawBufferPointer) -> Kind? {
        let rest = b.dropping(b.leadingLineEnds())
        if rest.hasBytes("HEP3") || SIPParser.startsWithStartLine(rest) { return .sipOrHEP }
        if rest.hasBytes("GET ") || rest.hasBytes("HTTP/1.1 101") { return .webSocket }
        return nil
    }

    /// True when `b`, not yet classified, may still turn out to start SIP, HEP or a WebSocket
    /// handshake once more bytes come: a first line not yet ended, in printable ASCII, short.
    static func mayStillStart(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count < 512 else { return false }
        for k in b.leadingLineEnds()..<b.count where !(b[k] >= 0x20 && b[k] < 0x7f) && b[k] != 13 { return false }
        return true
    }

    /// True when `b` begins HEP, a WebSocket handshake, a SIP response or a request with a
    /// method SIP defines (a whole first line of it).
    static func beginsKnownMessage(_ b: UnsafeRawBufferPointer) -> Bool {
        let rest = b.dropping(b.leadingLineEnds())
        if rest.hasBytes("HEP3") || rest.hasBytes("GET ") || rest.hasBytes("HTTP/1.1 101") { return true }
        guard let lf = rest.firstIndex(of: 10) else { return false }
        switch SIPParser.classifyStartLine(rest.slice(0..<lf)) {
        case .response: return true
        case .request(let method, _, _): return method != .other
        case nil: return false
        }
    }

    /// Whether a message was cut short here (bytes waiting for the rest of it).
    var hasPartialMessage: Bool { framer.pendingBytes > 0 || webSocket.hasPartialMessage }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, discontinuity: Bool, _ emit: (Piece) -> Void) {
        switch kind {
        case .undetermined:
            if discontinuity { start.removeAll() }  // what was kept and these bytes are not adjacent
            var joined = start
            joined.append(contentsOf: bytes)
            // A first line cut in two joins its second part; but bytes that begin a known message
            // on their own, where the joined ones do not, follow bytes that began nothing.
            if !start.isEmpty, Self.beginsKnownMessage(bytes), !joined.withUnsafeBytes(Self.beginsKnownMessage) {
                joined = Array(bytes)
            }
            start = []
            joined.withUnsafeBytes { b in
                if let known = Self.classify(b) {
                    kind = known
                    feed(b, discontinuity: false, emit)
                } else if Self.mayStillStart(b) {
                    start = joined
                } else if b.count > bytes.count, let known = Self.classify(bytes) {
                    // Nothing known starts with the kept bytes: the newest may start something alone.
                    kind = known
                    feed(bytes, discontinuity: false, emit)
                } else if b.count > bytes.count, Self.mayStillStart(bytes) {
                    start = Array(bytes)
                } else {
                    emit(.unrecognised)
                }
            }
        case .sipOrHEP:
            framer.append(bytes, discontinuity: discontinuity) { piece in
                switch piece {
                case .sip(let b, let i): emit(.sip(b, i))
                case .hep(let b): emit(.hep(b))
                case .garbage(let why): emit(.garbage(why))
                }
            }
        case .webSocket:
            webSocket.append(bytes, discontinuity: discontinuity) { piece in
                switch piece {
                case .message(let b): emit(.webSocketMessage(b))
                case .garbage(let why): emit(.garbage(why))
                }
            }
        }
    }
}
