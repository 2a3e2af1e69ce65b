/// What one TCP direction carries, decided from its first bytes, and the framer for it.
struct StreamState {
    enum Kind { case sipOrHEP, webSocket }

    enum Piece {
        case sip(UnsafeRawBufferPointer, SIPMessageIndex)
        case hep(UnsafeRawBufferPointer)
        case webSocketMessage(UnsafeRawBufferPointer)
        case garbage(String)

        var transport: SIPTransport { .tcp }
    }

    var kind: Kind
    var framer = StreamFramer()
    var webSocket = WebSocketStream()

    init(kind: Kind) { self.kind = kind }

    /// nil when the first bytes are not SIP, HEP or a WebSocket handshake.
    static func classify(_ b: UnsafeRawBufferPointer) -> Kind? {
        var i = 0
        while i < b.count, b[i] == 13 || b[i] == 10 { i += 1 }
        let rest = b.dropping(i)
        if rest.hasBytes("HEP3") || SIPParser.startsWithStartLine(rest) { return .sipOrHEP }
        if rest.hasBytes("GET ") || rest.hasBytes("HTTP/1.1 101") { return .webSocket }
        return nil
    }

    static func isSurelyOther(_ b: UnsafeRawBufferPointer) -> Bool { !b.isEmpty }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, discontinuity: Bool, _ emit: (Piece) -> Void) {
        switch kind {
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
