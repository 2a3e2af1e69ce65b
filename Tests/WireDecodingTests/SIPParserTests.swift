import Testing
import TestSupport
import WireDecoding

@Suite struct SIPParserTests {
    func parse(_ s: String, stream: Bool = false) -> (SIPParser.Result, [UInt8]) {
        let bytes = Array(s.utf8)
        return (bytes.withUnsafeBytes { SIPParser.parse($0, isStream: stream) }, bytes)
    }

    func index(_ s: String, stream: Bool = false) throws -> (SIPMessageIndex, [UInt8]) {
        let (r, bytes) = parse(s, stream: stream)
        guard case .message(let i) = r else {
            Issue.record("not parsed: \(r)")
            throw ParseFailure()
        }
        return (i, bytes)
    }

    struct ParseFailure: Error {}

    func field(_ bytes: [UInt8], _ r: Range<Int>?) -> String? { bytes.withUnsafeBytes { $0.text(r) } }

    @Test func indexesARealKamailioInvite() throws {
        // The first INVITE sent by sipp in the recorded run, as carried in HEP.
        let packet = try Fixtures.rawHEPPackets()[0]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let sip = Array(packet[hep.payload!])
        let result = sip.withUnsafeBytes { SIPParser.parse($0) }
        guard case .message(let i) = result else { Issue.record("\(result)"); return }
        #expect(i.method == .invite)
        #expect(field(sip, i.callID) == "udp-basic-1-641@127.0.0.1")
        #expect(i.cseqNumber == 1)
        #expect(field(sip, i.cseqMethod) == "INVITE")
        #expect(field(sip, i.viaTransport) == "UDP")
        #expect(field(sip, i.viaBranch)?.hasPrefix("z9hG4bK") == true)
        #expect(i.fromTag(in: sip) != nil)
        #expect(i.toTag(in: sip) == nil)
        #expect(i.length == sip.count)
        #expect(i.bodyStart + (i.contentLength ?? -1) == sip.count)
    }

    /// Tag and branch values end at ';', ',', ' ' or '>' (found eight bytes at a time): every
    /// length up to 40, every stop (or the end of the header), at every alignment, with bytes
    /// that sit next to the stops in value (':', '=', '<', '?', '+', '-', '!', high bytes).
    @Test func parameterValuesEndAtTheFirstStopWhateverTheLength() {
        let filler: [UInt8] = Array("abcXYZ019:=<?+-!~.".utf8) + [0x80, 0xbb, 0xac, 0xa0, 0xfe, 0x3a, 0x3c, 0x1f, 0x21]
        for length in 0...40 {
            for stop in [";", ",", " ", ">", ""] {
                for padding in 0..<8 {
                    let value = (0..<length).map { filler[($0 * 7 + length + padding) % filler.count] }
                    let prefix = Array("\(String(repeating: " ", count: padding))SIP/2.0/UDP h:5060;tag=".utf8)
                    let header = prefix + value + Array(stop.utf8) + (stop.isEmpty ? [] : Array("rest;x=1".utf8))
                    let found = header.withUnsafeBytes { $0.parameter("tag", in: 0..<header.count) }
                    if length == 0 {
                        #expect(found == nil, "length 0, stop \(stop.debugDescription)")
                    } else {
                        #expect(found == prefix.count..<prefix.count + length,
                                "length \(length), stop \(stop.debugDescription), padding \(padding): \(value)")
                    }
                }
            }
        }
    }

    /// The CSeq method and the Via transport are RFC 3261 tokens: every byte value, placed in
    /// the middle of one, either continues it (letters, digits and - . ! % * _ + ` ' ~) or ends it.
    @Test func tokensEndAtTheFirstByteOutsideTheTokenSet() throws {
        let tokenBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~".utf8)
        for byte in 0...255 where byte != 10 && byte != 13 {
            let b = UInt8(byte)
            let message: [UInt8] = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UD".utf8) + [b] + Array("P h\r\nCall-ID: x\r\nCSeq: 7 OPT".utf8)
                + [b] + Array("IONS\r\n\r\n".utf8)
            let result = message.withUnsafeBytes { SIPParser.parse($0) }
            guard case .message(let i) = result else { Issue.record("byte \(byte): \(result)"); continue }
            let isToken = tokenBytes.contains(b)
            let methodLength = i.cseqMethod.map { $0.count } ?? 0
            let transportLength = i.viaTransport.map { $0.count } ?? 0
            // A space or tab after the method's start ends it too; before it, they are skipped.
            #expect(methodLength == (isToken ? 8 : 3), "byte \(byte) in the CSeq method")
            #expect(transportLength == (isToken ? 4 : 2), "byte \(byte) in the Via transport")
        }
    }

    /// The Via transport is the token after the second slash, however the protocol is written
    /// ("SIP/2.0/" exactly is recognized without looking for the slashes).
    @Test func viaTransportFollowsTheSecondSlashHoweverWritten() throws {
        let cases: [(String, String?)] = [
            ("SIP/2.0/UDP h:5060;branch=z9hG4bK1", "UDP"), ("SIP/2.0/TCP h", "TCP"), ("sip/2.0/tls h", "tls"),
            ("SIP / 2.0 / WSS h", "WSS"), ("SIP/2.0/ SCTP h", "SCTP"), ("SIP/2.0/", nil), ("SIP/2.0/;x", nil),
            ("SIP/2.0", nil), ("SIP/2.1/UDP h", "UDP"), ("XIP/2.0/UDP h", "UDP"),
        ]
        for (via, transport) in cases {
            let (i, bytes) = try index("OPTIONS sip:a@b SIP/2.0\r\nVia: \(via)\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n")
            #expect(field(bytes, i.viaTransport) == transport, "Via: \(via)")
        }
    }

    /// The top Via's branch is compared as one eight-byte word at each ';': it finds what the
    /// general parameter search finds, in either case, quoted or not, empty, cut by the end of
    /// the range before or after its '=', after lookalikes and doubled semicolons, at every
    /// alignment.
    @Test func viaBranchIsFoundAsTheGeneralParameterSearchFindsIt() {
        let params = [";branch=z9hG4bK1", ";BRANCH=Z9", ";BrAnCh=x;rport", ";branch=", ";branch=\"quoted;v\"",
                      ";branchx=1;branch=2", ";rport;branch=abc;received=h", ";;branch=skipped", "; branch=space",
                      ";branch", ";bRanch=a,SIP/2.0/TCP h;branch=b", ";branch=a>b", ";xbranch=1", ";branch=\u{80}\u{ff}"]
        let compared = agreeWithTheGeneralSearch(params.map { "SIP/2.0/UDP h:5060\($0)" }) { b, r in
            (b.branchParameter(in: r), b.parameter("branch", in: r))
        }
        #expect(compared > 1000)
        // It is what the parser stores.
        let (i, b) = try! index("BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;rport;BRANCH=z9hG4bKup\r\nCall-ID: c\r\n\r\n")
        #expect(field(b, i.viaBranch) == "z9hG4bKup")
    }

    /// From and To tags are compared as one word at each ';' after the last '>': they are what
    /// the general parameter search finds, in any case, quoted, empty, cut anywhere, after URI
    /// parameters and lookalikes, at every alignment.
    @Test func tagsAreFoundAsTheGeneralParameterSearchFindsThem() {
        let values = ["<sip:a@h>;tag=abc", "<sip:a@h;tag=uri>;TAG=Hdr", "\"x;tag=n\" <sip:a@h>;tAg=q;x=1", "<sip:a@h>;tag=",
                      "<sip:a@h>;tagx=1;tag=2", "<sip:a@h>;;tag=s", "<sip:a@h>; tag=sp", "<sip:a@h>;tag", "sip:a@h;tag=noangle",
                      "<sip:a@h>;tag=\"q;v\"", "<sip:a@h>;xtag=1", "<sip:a@h>;tag=a>b;tag=c", "<sip:a@h>;tag=\u{80}\u{ff}"]
        let compared = agreeWithTheGeneralSearch(values) { b, r in
            // The general search after the range's last '>', found plainly.
            let afterAngle = r.last { b[$0] == 62 }.map { $0 + 1 } ?? r.lowerBound
            return (b.tagParameter(in: r), b.parameter("tag", in: afterAngle..<r.upperBound))
        }
        #expect(compared > 1000)
    }

    /// Runs `both` (a word-compare search and the general one) on each header value behind 0 to
    /// 7 spaces, cut at every length, and expects the same answer; returns how many were compared.
    func agreeWithTheGeneralSearch(_ values: [String],
                                   _ both: (UnsafeRawBufferPointer, Range<Int>) -> (fast: Range<Int>?, general: Range<Int>?)) -> Int {
        var compared = 0
        for v in values {
            for padding in 0..<8 {
                let header = Array("\(String(repeating: " ", count: padding))\(v)".utf8)
                header.withUnsafeBytes { b in
                    for end in 0...header.count {
                        let (fast, general) = both(b, 0..<end)
                        #expect(fast == general, "\(v.debugDescription) padding \(padding) cut at \(end)")
                        compared += 1
                    }
                }
            }
        }
        return compared
    }

    /// From and To tags are read after the value's last '>' (found eight bytes at a time from
    /// the end): a tag inside the URI, or a '>' in the display name, must not fool it, whatever
    /// the lengths around them.
    @Test func tagsAreReadAfterTheLastAngleBracket() {
        for name in 0...20 {
            for gap in 0...12 {
                let display = "\"" + String(repeating: "n", count: name) + ">x\" "
                let header = display + "<sip:a@h;tag=uri>" + String(repeating: ";p=1", count: gap % 4)
                    + String(repeating: " ", count: gap) + ";tag=t\(name)-\(gap)"
                let bytes = Array(header.utf8)
                let found = bytes.withUnsafeBytes { $0.tagParameter(in: 0..<bytes.count) }
                #expect(found.map { String(decoding: bytes[$0], as: UTF8.self) } == "t\(name)-\(gap)", "\(header)")
            }
        }
        let noAngle = Array("sip:a@h;tag=plain".utf8)
        #expect(noAngle.withUnsafeBytes { $0.tagParameter(in: 0..<noAngle.count) } == 12..<17)
    }

    /// Header ranges are kept in 16 bits: a header block just under the limit is indexed in
    /// full (its Call-ID sits past 60,000 bytes), one past it is refused, as a datagram and as
    /// a stream alike.
    @Test func headerBlocksUpToTheLimitAreIndexedLargerOnesRefused() throws {
        func message(padding: Int) -> String {
            "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1\r\n"
                + "X-Padding: " + String(repeating: "p", count: padding) + "\r\n"
                + "Call-ID: far-away@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nbody"
        }
        let (near, bytes) = try index(message(padding: 60_000))
        #expect(field(bytes, near.callID) == "far-away@10.0.0.1")
        #expect(near.callID!.lowerBound > 60_000 && near.bodyStart <= SIPParser.maximumHeaderBytes)
        #expect(field(bytes, near.cseqMethod) == "INVITE" && near.contentLength == 4 && near.length == bytes.count)
        for stream in [false, true] {
            let (far, _) = parse(message(padding: 70_000), stream: stream)
            #expect(far == .malformed("SIP header block too large"), "stream: \(stream)")
        }
    }

    @Test func compactFormsFoldingAndBareLineFeeds() throws {
        let msg = "SIP/2.0 486 Busy Here\nv: SIP/2.0/WSS a.invalid;branch=z9hG4bKabc, SIP/2.0/UDP b;branch=z9hG4bKdef\n"
            + "f: \"A\" <sip:a@x;tag=uri>;tag=fromtag\nt: <sip:b@y>;tag=totag\ni: short-call-id\n"
            + "CSeq:\n 7\n INVITE\nX-CID: other-leg@x\nl: 0\n\n"
        let (i, b) = try index(msg)
        #expect(i.status == 486)
        #expect(field(b, i.viaTransport) == "WSS")
        #expect(field(b, i.viaBranch) == "z9hG4bKabc")
        #expect(field(b, i.fromTag(in: b)) == "fromtag")
        #expect(field(b, i.toTag(in: b)) == "totag")
        #expect(field(b, i.callID) == "short-call-id")
        #expect(field(b, i.xCallID) == "other-leg@x")
        #expect(i.contentLength == 0)
    }

    @Test func correlationHeaders() throws {
        let msg = "BYE sip:b@y SIP/2.0\r\nCall-ID: c1\r\nCSeq: 2 BYE\r\nSession-ID: ab12cd;remote=00ff\r\n"
            + "P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";icid-generated-at=192.0.6.8\r\n"
            + "Content-Length: 0\r\n\r\n"
        let (i, b) = try index(msg)
        #expect(field(b, i.sessionID) == "ab12cd")
        #expect(field(b, i.icidValue) == "AyretyU0dm+6O2IrT5tAFrbHLso=")
        #expect(i.method == .bye)
    }

    /// Every name the index keeps, full or compact, in any case and with blanks before the
    /// colon, counts; names that merely look alike (Contact, Content-Type, Tox, Vias) do not.
    @Test func everyIndexedHeaderIsFoundInAnyCaseAndSpacing() throws {
        let names: [(String, String)] = [
            ("Call-ID", "callID"), ("i", "callID"), ("CSeq", "cseq"), ("From", "from"), ("f", "from"), ("To", "to"),
            ("t", "to"), ("Via", "via"), ("v", "via"), ("Content-Length", "contentLength"), ("l", "contentLength"),
            ("X-CID", "xCallID"), ("X-Call-ID", "xCallID"), ("Session-ID", "sessionID"),
            ("P-Charging-Vector", "icid"),
        ]
        let values = ["callID": "c@h", "cseq": "5 BYE", "from": "<sip:a@h>;tag=ft", "to": "<sip:b@h>;tag=tt",
                      "via": "SIP/2.0/TCP h;branch=z9hG4bKvv", "contentLength": "0", "xCallID": "leg@h",
                      "sessionID": "abcdef0123456789", "icid": "icid-value=ic1"]
        for (name, field) in names {
            for variant in [name, name.uppercased(), name.lowercased()] {
                for separator in [":", " :", "\t: ", ":  "] {
                    var headers = ["Call-ID: base@h", "CSeq: 1 INVITE", "Via: SIP/2.0/UDP base;branch=z9hG4bKbase"]
                    headers.removeAll { $0.hasPrefix(field == "callID" ? "Call-ID" : field == "cseq" ? "CSeq" : field == "via" ? "Via" : "-") }
                    headers.append(variant + separator + values[field]!)
                    let (i, b) = try index("BYE sip:b@h SIP/2.0\r\n" + headers.joined(separator: "\r\n") + "\r\n\r\n")
                    let what = "\(variant)\(separator.debugDescription)"
                    switch field {
                    case "callID": #expect(self.field(b, i.callID) == "c@h", "\(what)")
                    case "cseq": #expect(i.cseqNumber == 5 && self.field(b, i.cseqMethod) == "BYE", "\(what)")
                    case "from": #expect(self.field(b, i.fromTag(in: b)) == "ft", "\(what)")
                    case "to": #expect(self.field(b, i.toTag(in: b)) == "tt", "\(what)")
                    case "via": #expect(self.field(b, i.viaBranch) == "z9hG4bKvv", "\(what)")
                    case "contentLength": #expect(i.contentLength == 0, "\(what)")
                    case "xCallID": #expect(self.field(b, i.xCallID) == "leg@h", "\(what)")
                    case "sessionID": #expect(self.field(b, i.sessionID) == "abcdef0123456789", "\(what)")
                    default: #expect(self.field(b, i.icidValue) == "ic1", "\(what)")
                    }
                }
            }
        }
        let lookalikes = "BYE sip:b@h SIP/2.0\r\nCall-ID: real@h\r\nContact: <sip:x@h>;tag=no\r\n"
            + "Content-Type: application/sdp\r\nTox: <sip:y@h>;tag=no\r\nVias: SIP/2.0/UDP h;branch=no\r\n\r\n"
        let (i, b) = try index(lookalikes)
        #expect(field(b, i.callID) == "real@h")
        #expect(i.toTag(in: b) == nil && i.fromTag(in: b) == nil && i.viaBranch == nil && i.contentLength == nil)
    }

    @Test func headerNamesAreCaseInsensitiveAndMethodsAreNot() throws {
        let (i, b) = try index("invite sip:x SIP/2.0\r\nCALL-ID: A\r\n\r\n")
        #expect(i.method == .other)
        #expect(field(b, i.callID) == "A")
    }

    @Test func rejectsWhatIsNotSIP() {
        #expect(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").0 == .notSIP)
        #expect(parse("SIP/2.0 99 Too Low\r\n\r\n").0 == .notSIP)
        #expect(parse("").0 == .notSIP)
        #expect(parse("INVITE sip:x SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n").0 == .malformed("SIP message without Call-ID"))
    }

    @Test func streamsWaitForHeadersAndBody() {
        let full = "MESSAGE sip:x SIP/2.0\r\nCall-ID: m\r\nContent-Length: 5\r\n\r\nhello"
        #expect(parse(String(full.dropLast(2)), stream: true).0 == .incomplete)
        #expect(parse("MESSAGE sip:x SIP/2.0\r\nCall-ID: m\r\nCont", stream: true).0 == .incomplete)
        guard case .message(let i) = parse(full + "INVITE", stream: true).0 else { Issue.record("no message"); return }
        #expect(i.length == full.utf8.count)
    }

    @Test func datagramBodyIsCutAtContentLength() throws {
        let (i, _) = try index("INFO sip:x SIP/2.0\r\nCall-ID: q\r\nContent-Length: 2\r\n\r\nabcdef")
        #expect(i.length == i.bodyStart + 2)
    }

    @Test func survivesEveryPrefixAndByteFlipOfARealMessage() throws {
        let packet = try Fixtures.rawHEPPackets()[3]
        let hep = try packet.withUnsafeBytes { try HEPDecoder.decode($0) }
        let sip = Array(packet[hep.payload!])
        for cut in 0...sip.count {
            _ = Array(sip[0..<cut]).withUnsafeBytes { SIPParser.parse($0, isStream: cut % 2 == 0) }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            var m = sip
            for _ in 0..<4 { m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = m.withUnsafeBytes { SIPParser.parse($0, isStream: Bool.random()) }
        }
    }

    /// A header that must appear once, appearing twice: the first counts (as for Call-ID).
    @Test func repeatedFromAndToKeepTheFirst() throws {
        let (i, bytes) = try index("INVITE sip:b@x SIP/2.0\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n"
            + "Call-ID: dup@x\r\nFrom: <sip:evil@x>;tag=2\r\nTo: <sip:other@x>\r\n\r\n")
        #expect(field(bytes, i.from) == "<sip:a@x>;tag=1")
        #expect(field(bytes, i.to) == "<sip:b@x>")
        // A folded value still grows the first one.
        let (folded, fb) = try index("INVITE sip:b@x SIP/2.0\r\nFrom: <sip:a@x>\r\n ;tag=9\r\nCall-ID: f@x\r\n\r\n")
        #expect(field(fb, folded.from) == "<sip:a@x>\r\n ;tag=9")
    }

    /// A header whose value starts on a folded line (RFC 3261 7.3.1 allows the break right
    /// after the colon): the value is the folded line's, as tshark reads it.
    @Test func aValueThatStartsOnTheFoldedLine() throws {
        let (i, b) = try index("OPTIONS sip:b@x SIP/2.0\r\nVia:\r\n SIP/2.0/TCP h:5060;branch=z9hG4bK1\r\n"
            + "Call-ID:\r\n  fold-a\r\nCSeq: \r\n\t7 OPTIONS\r\nFrom:\r\n <sip:a@x>\r\n ;tag=3\r\nTo:   \r\n\r\n")
        #expect(field(b, i.callID) == "fold-a")
        #expect(i.cseqNumber == 7 && field(b, i.cseqMethod) == "OPTIONS")
        #expect(field(b, i.from) == "<sip:a@x>\r\n ;tag=3")
        #expect(field(b, i.topVia) == "SIP/2.0/TCP h:5060;branch=z9hG4bK1")
        #expect(field(b, i.viaBranch) == "z9hG4bK1")
        #expect(i.to == nil)
        // A datagram cut in a folded line, and one cut in the line after a header.
        let cut = try index("OPTIONS sip:b@x SIP/2.0\r\nCSeq: 1 OPTIONS\r\nCall-ID:\r\n fold-a")
        #expect(field(cut.1, cut.0.callID) == "fold-a")
        let next = try index("OPTIONS sip:b@x SIP/2.0\r\nCall-ID: c-1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;ta")
        #expect(field(next.1, next.0.callID) == "c-1" && next.0.cseqNumber == 1)
        #expect(field(next.1, next.0.from) == "<sip:a@x>;ta")
    }
}

extension SIPMessageIndex {
    func fromTag(in message: [UInt8]) -> Range<Int>? { message.withUnsafeBytes { fromTag(in: $0) } }
    func toTag(in message: [UInt8]) -> Range<Int>? { message.withUnsafeBytes { toTag(in: $0) } }
}
