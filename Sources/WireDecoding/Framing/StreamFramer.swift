/// Cuts one direction of a byte stream (a TCP connection, or the raw TCP segments a sniffer put
/// in HEP) into messages: SIP by Content-Length, or HEP3 by its length field. Complete messages
/// are handed out straight from the incoming bytes; only a partial tail is copied and kept.
public struct StreamFramer {
    public enum Content: Sendable, Equatable { case undetermined, sip, hep, webSocket }

    public enum Piece {
        case sip(UnsafeRawBufferPointer, SIPMessageIndex)
        case hep(UnsafeRawBufferPointer)
        /// Bytes that are neither: skipped up to the next start line, with the reason.
        case garbage(String)
    }

    public private(set) var content: Content = .undetermined
    private var pending: [UInt8] = []
    /// A partial message may wait for this many bytes before it is given up on.
    public static let maximumPending = 256 * 1024

    public init() {}

    public var pendingBytes: Int { pending.count }

    /// Feeds stream bytes. `discontinuity` says bytes were lost before these: what was pending
    /// is dropped and framing resynchronises on the next start line.
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, discontinuity: Bool = false, _ emit: (Piece) -> Void
    ) {
        if discontinuity, !pending.isEmpty {
            pending.removeAll(keepingCapacity: true)
            emit(.garbage("TCP gap: partial message dropped"))
        }
        if pending.isEmpty {
            let used = frame(bytes, emit)
            if used < bytes.count { keep(bytes.dropping(used), emit) }
        } else {
            pending.append(contentsOf: bytes)
            let used = pending.withUnsafeBytes { frame($0, emit) }
            pending.removeFirst(used)
        }
    }

    private mutating func keep(_ rest: UnsafeRawBufferPointer, _ emit: (Piece) -> Void) {
        if rest.count > StreamFramer.maximumPending {
            emit(.garbage("stream message too large"))
            return
        }
        pending.append(contentsOf: rest)
    }

    /// Frames as many whole messages as `b` holds; returns how many bytes were used.
    private mutating func frame(_ b: UnsafeRawBufferPointer, _ emit: (Piece) -> Void) -> Int {
        var at = 0
        while at < b.count {
            // CRLF keep-alives (RFC 5626) between messages, and the NULs some HEP senders pad a
            // message with (a body's own NULs are inside its Content-Length).
            if content != .hep, b[at] == 13 || b[at] == 10 || b[at] == 0 { at += 1; continue }
            let rest = b.dropping(at)
            if content == .undetermined || content == .hep, rest.count < 4 { return at }
            if content == .undetermined {
                content = rest.hasBytes("HEP3") ? .hep : .sip
            }
            switch content {
            case .hep:
                guard rest.count >= 6 else { return at }
                guard rest.hasBytes("HEP3") else {
                    // Bytes were lost (a TCP gap) or a length lied: go on at the next "HEP3".
                    emit(.garbage("HEP stream out of sync"))
                    at += Self.nextHEPStart(in: rest)
                    continue
                }
                let length = Int(rest.be16(4))
                guard length >= 6 else {
                    emit(.garbage("HEP3 length below 6"))
                    at += Self.nextHEPStart(in: rest)
                    continue
                }
                guard rest.count >= length else { return at }
                emit(.hep(rest.slice(0..<length)))
                at += length
            case .sip, .undetermined, .webSocket:
                switch SIPParser.parse(rest, isStream: true) {
                case .message(let index):
                    emit(.sip(rest.slice(0..<index.length), index))
                    at += max(index.length, 1)
                case .incomplete:
                    if rest.count > StreamFramer.maximumPending {
                        emit(.garbage("SIP message too large"))
                        at += resync(rest)
                        continue
                    }
                    return at
                case .malformed(let why):
                    emit(.garbage(why))
                    at += resync(rest)
                case .notSIP:
                    emit(.garbage("not SIP on stream"))
                    at += resync(rest)
                }
            }
        }
        return at
    }

    /// How far into `b` the next "HEP3" after its first byte starts; without one, all of `b`
    /// but a tail that may be the beginning of one, when more bytes follow.
    private static func nextHEPStart(in b: UnsafeRawBufferPointer) -> Int {
        var i = 1
        while let h = b.firstIndex(of: 0x48, from: i) {
            if b.count - h < 4 { return h }
            if b.hasBytes("HEP3", at: h) { return h }
            i = h + 1
        }
        return b.count
    }

    /// Skips to the next line that starts a SIP message (at least one byte).
    private func resync(_ b: UnsafeRawBufferPointer) -> Int {
        var i = 1
        while i < b.count {
            guard let lf = b.firstIndex(of: 10, from: i) else { return b.count }
            i = lf + 1
            if i < b.count, SIPParser.startsWithStartLine(b.slice(i..<min(b.count, i + 512))) { return i }
        }
        return b.count
    }
}
