/// One direction of a SIP-over-WebSocket connection (RFC 7118): skips the HTTP upgrade, then
/// turns frames (masked or not, fragmented or not) into whole messages.
struct WebSocketStream {
    enum Piece {
        case message(UnsafeRawBufferPointer)
        case garbage(String)
    }

    private var inHandshake = true
    private var pending: [UInt8] = []
    private var message: [UInt8] = []
    private var broken = false
    static let maximumMessage = 256 * 1024

    /// Whether bytes of a frame or message are waiting for the rest of it.
    var hasPartialMessage: Bool { !inHandshake && (!pending.isEmpty || !message.isEmpty) }

    mutating func append(_ bytes: UnsafeRawBufferPointer, discontinuity: Bool, _ emit: (Piece) -> Void) {
        // A stream picked up with nothing seen yet (no SYN in the capture) has lost nothing.
        let nothingSeenYet = inHandshake && pending.isEmpty && message.isEmpty
        if discontinuity, !nothingSeenYet {
            // Frame boundaries are lost with the gap; nothing after it can be trusted.
            if !pending.isEmpty || !message.isEmpty { emit(.garbage("TCP gap in WebSocket stream")) }
            pending.removeAll()
            message.removeAll()
            broken = true
        }
        guard !broken else { return }
        pending.append(contentsOf: bytes)
        var used = 0
        pending.withUnsafeBytes { b in used = consume(b, emit) }
        pending.removeFirst(used)
    }

    private mutating func consume(_ b: UnsafeRawBufferPointer, _ emit: (Piece) -> Void) -> Int {
        var at = 0
        if inHandshake {
            guard let end = headerEnd(b) else {
                if b.count > 16 * 1024 { broken = true; emit(.garbage("WebSocket handshake too long")); return b.count }
                return 0
            }
            inHandshake = false
            at = end
        }
        while at < b.count {
            let rest = b.dropping(at)
            switch WebSocketFrame.parse(rest) {
            case .needMore:
                return at
            case .invalid:
                broken = true
                emit(.garbage("invalid WebSocket frame"))
                return b.count
            case .frame(let h):
                guard h.payloadLength <= WebSocketStream.maximumMessage else {
                    broken = true
                    emit(.garbage("WebSocket frame too large"))
                    return b.count
                }
                guard rest.count >= h.frameLength else { return at }
                let payload = rest.slice(h.headerLength..<h.frameLength)
                at += h.frameLength
                if h.opcode.isControl { continue }
                if let key = h.maskKey {
                    WebSocketFrame.unmask(payload, key: key, into: &message)
                } else {
                    message.append(contentsOf: payload)
                }
                if message.count > WebSocketStream.maximumMessage {
                    message.removeAll()
                    emit(.garbage("WebSocket message too large"))
                    continue
                }
                if h.fin {
                    message.withUnsafeBytes { emit(.message($0)) }
                    message.removeAll(keepingCapacity: true)
                }
            }
        }
        return at
    }

    private func headerEnd(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
