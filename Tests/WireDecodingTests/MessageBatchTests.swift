import Testing
import TestSupport
import WireDecoding

/// Batches carry decoded messages from a decoding thread to the model's: what comes out must be
/// what went in, for everything the model reads, with the digest worked out on the way in.
@Suite struct MessageBatchTests {
    struct Facts: Equatable {
        var timestamp: Timestamp
        var captureTime: Timestamp
        var source: Endpoint
        var destination: Endpoint
        var transport: SIPTransport
        var payloadType: UInt8
        var payload: [UInt8]
        var sip: SIPMessageIndex?
        var hepVersion: UInt8?
        var captureID: UInt32?
        var ipProtocol: UInt8?
        var correlation: [UInt8]?
        var node: [UInt8]?
        var frame: Int
        var inputOffset: Int?
        var comment: String?

        init(_ m: DecodedMessage) {
            timestamp = m.timestamp
            captureTime = m.captureTime
            source = m.source
            destination = m.destination
            transport = m.transport
            payloadType = m.payloadType
            payload = Array(m.payload)
            sip = m.sip
            hepVersion = m.hep?.version
            captureID = m.hep?.displayCaptureID
            ipProtocol = m.hep?.ipProtocol
            correlation = m.hep?.correlationID.map { Array($0) }
            node = m.hep?.nodeName.map { Array($0) }
            frame = m.frameNumber
            inputOffset = m.payloadInputOffset
            comment = m.frameComment?.text
        }
    }

    @Test func realHEPMessagesComeOutAsTheyWentInWithTheirDigest() throws {
        let packets = try Fixtures.rawHEPPackets()
        let decoder = TraceDecoder()
        var sent: [Facts] = []
        var digests: [MessageDigest] = []
        var batch = MessageBatch()
        for (i, p) in packets.enumerated() {
            p.withUnsafeBytes { b in
                decoder.decode(datagram: b, from: Endpoint(address: .v4(1), port: 1), to: Endpoint(address: .v4(2), port: 9060),
                               receivedAt: Timestamp(nanoseconds: Int64(i) * 1000), number: i + 1) { m in
                    var m = m
                    // A frame comment now and then, and interfaces that differ.
                    var comment = "frame \(i)"
                    comment.withUTF8 { text in
                        if i % 7 == 0 { m.frameComment = FrameComment(utf8: UnsafeRawBufferPointer(text)) }
                        sent.append(Facts(m))
                        digests.append(MessageDigest(payload: m.payload, sip: m.sip))
                        batch.append(m, interface: i % 3)
                    }
                }
            }
        }
        #expect(sent.count == 280 && batch.count == 280)
        #expect(digests.filter { $0.callID != 0 }.count == 280, "every message has a Call-ID hash")
        var received: [Facts] = []
        var receivedDigests: [MessageDigest?] = []
        var interfaces: [Int] = []
        batch.forEachWithInterface { m, interface in
            received.append(Facts(m))
            receivedDigests.append(m.digest)
            interfaces.append(interface)
        }
        #expect(received == sent)
        #expect(receivedDigests == digests.map { Optional($0) })
        #expect(interfaces == (0..<280).map { $0 % 3 })
        #expect(sent.contains { $0.correlation != nil } && sent.contains { $0.comment != nil })
    }

    /// Every byte counts in `ByteHash.of`, whatever the length (the last few bytes are read
    /// with one overlapping load): flipping any one bit changes the hash.
    @Test func everyByteChangesTheHash() {
        for n in 1...80 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let original = bytes.withUnsafeBytes { ByteHash.of($0) }
            for i in 0..<n {
                for bit in [0, 7] {
                    var changed = bytes
                    changed[i] ^= 1 << bit
                    #expect(changed.withUnsafeBytes { ByteHash.of($0) } != original, "length \(n), byte \(i), bit \(bit)")
                }
            }
            #expect((bytes + [0]).withUnsafeBytes { ByteHash.of($0) } != original, "a zero byte more, length \(n)")
        }
    }

    /// The digest agrees with hashing the fields directly, and names the CSeq method.
    @Test func digestOfARealInvite() throws {
        let packet = try Fixtures.rawHEPPackets()[0]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let sip = Array(packet[hep.payload!])
        try sip.withUnsafeBytes { b in
            guard case .message(let index) = SIPParser.parse(b) else { Issue.record("not SIP"); return }
            let d = MessageDigest(payload: b, sip: index)
            let callID = try #require(index.callID), branch = try #require(index.viaBranch)
            #expect(d.payload == ByteHash.ofSIPPayload(b, callID: ByteHash.of(b.slice(callID)),
                                                       branch: ByteHash.of(b.slice(branch)), cseq: try #require(index.cseqNumber)))
            // The start line, the length, the end, the Call-ID, the branch and the CSeq number go
            // in: a change in the middle of the body is left to the byte comparison that
            // confirms every match.
            let middle = (index.bodyStart + b.count) / 2
            #expect(b.count - index.bodyStart > 100)
            func digest(flipping offset: Int) -> MessageDigest {
                var changed = Array(b)
                changed[offset] ^= 1
                return changed.withUnsafeBytes { MessageDigest(payload: $0, sip: index) }
            }
            #expect(digest(flipping: middle).payload == d.payload)
            #expect(digest(flipping: 10).payload != d.payload)
            #expect(digest(flipping: b.count - 1).payload != d.payload)
            #expect(digest(flipping: branch.lowerBound + 2).payload != d.payload)
            #expect(digest(flipping: callID.lowerBound + 2).payload != d.payload)
            #expect(d.callID == ByteHash.of(b.slice(callID)))
            #expect(d.branch == UInt32(truncatingIfNeeded: ByteHash.of(b.slice(branch))))
            #expect(d.cseqMethod == .invite)
            #expect(d != MessageDigest(payload: b.slice(0..<b.count - 1), sip: index))
        }
    }

    /// Dialog tags are hashed for INVITEs and their 101-299 responses, from the real run's
    /// messages, and left at zero in all the others.
    @Test func digestHashesTheDialogTagsOfInvitesAndTheirAnswersOnly() throws {
        var read = 0, withToTag = 0, left = 0
        for packet in try Fixtures.rawHEPPackets() {
            let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
            guard let payload = hep.payload else { continue }
            let sip = Array(packet[payload])
            sip.withUnsafeBytes { b in
                guard case .message(let index) = SIPParser.parse(b) else { return }
                let d = MessageDigest(payload: b, sip: index)
                let isInvite = index.method == .invite
                let answersInvite = (index.status.map { $0 > 100 && $0 < 300 } ?? false) && d.cseqMethod == .invite
                #expect(MessageDigest.readsDialogTags(index, cseqMethod: d.cseqMethod) == (isInvite || answersInvite))
                if isInvite || answersInvite {
                    read += 1
                    let to = index.toTag(in: b)
                    #expect(d.hasToTag == (to != nil))
                    #expect(d.toTag == (to.map { ByteHash.of(b.slice($0)) } ?? 0))
                    let from = index.fromTag(in: b)
                    #expect(d.fromTag == (to != nil ? from.map { ByteHash.of(b.slice($0)) } ?? 0 : 0))
                    if to != nil { withToTag += 1; #expect(d.fromTag != 0) }
                } else {
                    left += 1
                    #expect(!d.hasToTag && d.fromTag == 0 && d.toTag == 0)
                }
            }
        }
        #expect(read > 10 && withToTag > 5 && left > 10, "read \(read), with To tag \(withToTag), left \(left)")
    }
}
