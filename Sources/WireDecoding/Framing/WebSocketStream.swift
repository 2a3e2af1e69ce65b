/// One direction of a SIP-over-WebSocket connection (RFC 7118): skips the HTTP upgrade, then
/// turns frames (masked or not, fragmented or not) into whole messages. After a gap in the TCP
/// stream (a capture that dropped a segment) or a frame that makes no sense, it looks for the
/// next frame that begins a SIP message and goes on from there.
struct WebSocketStream {
    enum Piece {
        case message(UnsafeRawBufferPointer)
        case garbage(String)
    }

    private var inHandshake = true
    private var pending: [UInt8] = []
    private var message: [UInt8] = []
    private var broken = false
    /// Frame boundaries were lost: bytes are dropped up to the next frame that starts SIP.
    private var resyncing = false
    /// A gap came between whole frames: counted if what follows it turns out to be the rest
    /// of a message (bytes skipped to find the next one).
    private var gapUncounted = false
    /// Bytes still to drop of a frame too large to keep.
    private var skipping = 0
    static let maximumMessage = 256 * 1024

    /// Whether bytes of a frame or message are waiting for the rest of it.
    /// (Not while looking for the next message after a gap: what waits then is the gap's,
    /// already counted.)
    var hasPartialMessage: Bool { !inHandshake && !resyncing && (!pending.isEmpty || !message.isEmpty) }

    mutating func append(_ bytes: UnsafeRawBufferPointer, discontinuity: Bool, _ emit: (Piece) -> Void) {
        // A stream picked up with nothing seen yet (no SYN in the capture) has lost nothing.
        let nothingSeenYet = inHandshake && pending.isEmpty && message.isEmpty
        if discontinuity, !nothingSeenYet {
            // Frame boundaries are lost with the gap: what comes next is searched for the next
            // message. A handshake cut by the gap is taken as done (SIP follows it).
            if !pending.isEmpty || !message.isEmpty || skipping > 0 {
                emit(.garbage("TCP gap in WebSocket stream"))
            } else {
                gapUncounted = true  // a message cut by it shows as bytes skipped to the next one
            }
            pending.removeAll()
            message.removeAll()
            skipping = 0
            inHandshake = false
            resyncing = true
        }
        guard !broken else { return }
        var bytes = bytes
        if skipping > 0 {
            let dropped = min(skipping, bytes.count)
            skipping -= dropped
            bytes = bytes.dropping(dropped)
        }
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
            if resyncing {
                let (start, found): (Int, Bool)
                switch Self.nextSIPFrame(in: b, from: at) {
                case .found(let s): (start, found) = (s, true)
                case .waitFrom(let s): (start, found) = (s, false)
                }
                if gapUncounted, start > at {
                    emit(.garbage("TCP gap in WebSocket stream"))
                    gapUncounted = false
                }
                guard found else { return start }
                (at, resyncing, gapUncounted) = (start, false, false)
            }
            let rest = b.dropping(at)
            switch WebSocketFrame.parse(rest) {
            case .needMore:
                return at
            case .invalid:
                emit(.garbage("invalid WebSocket frame"))
                message.removeAll()
                resyncing = true
                at += 1
            case .frame(let h):
                guard h.payloadLength <= WebSocketStream.maximumMessage else {
                    // Dropped by its length, so that the frames after it still line up.
                    emit(.garbage("WebSocket frame too large"))
                    message.removeAll()
                    let available = b.count - at
                    if h.frameLength > available {
                        skipping = h.frameLength - available
                        return b.count
                    }
                    at += h.frameLength
                    continue
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

    enum Resync: Equatable {
        /// A data frame starts at this offset and its payload begins with a SIP start line.
        case found(Int)
        /// Nothing before this offset can start one; the bytes from it on may, once more come.
        case waitFrom(Int)
    }

    /// The first offset from `from` on where a text or binary frame (no extension bits) starts
    /// whose payload, unmasked, begins with a whole SIP start line. Random bytes rarely pass
    /// both, so a match is taken as the stream's framing found again.
    static func nextSIPFrame(in b: UnsafeRawBufferPointer, from: Int) -> Resync {
        var i = from
        var unmasked: [UInt8] = []
        while i < b.count {
            defer { i += 1 }
            let opcode = b[i] & 0x7f  // no RSV bits, text or binary
            guard opcode == 1 || opcode == 2 else { continue }
            let rest = b.dropping(i)
            let parsed = WebSocketFrame.parse(rest)
            guard case .frame(let h) = parsed else {
                if parsed == .needMore { return .waitFrom(i) }
                continue
            }
            guard h.payloadLength >= 14, h.payloadLength <= maximumMessage else { continue }
            // A SIP start line begins with a method or "SIP/": three capital letters. Checked on
            // the first bytes alone, so that random candidates cost little.
            guard rest.count >= h.headerLength + 3 else { return .waitFrom(i) }
            let capitals = (0..<3).allSatisfy { k in
                let key = h.maskKey.map { UInt8(truncatingIfNeeded: $0 >> (24 - 8 * UInt32(k))) } ?? 0
                return (65...90).contains(rest[h.headerLength + k] ^ key)
            }
            guard capitals else { continue }
            // The start line, at most 512 bytes, or what of it has come so far.
            let wanted = min(h.payloadLength, 512)
            let have = min(wanted, rest.count - h.headerLength)
            let head = rest.slice(h.headerLength..<h.headerLength + have)
            unmasked.removeAll(keepingCapacity: true)
            if let key = h.maskKey {
                WebSocketFrame.unmask(head, key: key, into: &unmasked)
            } else {
                unmasked.append(contentsOf: head)
            }
            let lineEnded = unmasked.contains(10)
            if lineEnded, unmasked.withUnsafeBytes(SIPParser.startsWithStartLine) { return .found(i) }
            if !lineEnded, have < wanted { return .waitFrom(i) }
        }
        return .waitFrom(b.count)
    }

    private func headerEnd(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
