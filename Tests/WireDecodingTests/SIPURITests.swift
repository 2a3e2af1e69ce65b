import Testing
import WireDecoding

/// The user part of a From/To/Contact value: the first sip:, sips: or tel: URI's user.
@Suite struct SIPURITests {
    /// The rule written plainly, a byte at a time: at each position, "sip" and an optional "s"
    /// then ':', or "tel:" (letters in any case); the user runs to '@' (sip) or to ';', '>' or
    /// ' ' (tel), and a sip URI without '@' before ';', '>', ' ', '?' or ',' has none.
    func plainUser(_ v: [UInt8]) -> Range<Int>? {
        var i = 0
        while i + 4 <= v.count {
            let c0 = v[i] | 0x20, c1 = v[i + 1] | 0x20, c2 = v[i + 2] | 0x20
            if c0 == 0x73, c1 == 0x69, c2 == 0x70 {
                var s = i + 3
                if s < v.count, v[s] | 0x20 == 0x73 { s += 1 }
                if s < v.count, v[s] == 58 {
                    var e = s + 1
                    while e < v.count {
                        if v[e] == 64 { return e > s + 1 ? s + 1..<e : nil }
                        if [59, 62, 32, 63, 44].contains(v[e]) { return nil }
                        e += 1
                    }
                    return nil
                }
            } else if c0 == 0x74, c1 == 0x65, c2 == 0x6c, v[i + 3] == 58 {
                var e = i + 4
                while e < v.count, v[e] != 59, v[e] != 62, v[e] != 32 { e += 1 }
                return e > i + 4 ? i + 4..<e : nil
            }
            i += 1
        }
        return nil
    }

    @Test func usersAreFoundAsThePlainRuleFindsThem() {
        let values = ["\"9300102\" <sip:9300102@chicago.example.com>;tag=1", "<sips:alice@h>", "SIP:Bob@h", "<SiPs:x@h>",
                      "tel:+1-555-0100;phone-context=x", "<tel:123>", "\"gossip: sip\" <sip:u@h>", "sip:h.example.com;x=@y",
                      "\"a:b\" <sip:@h>", "sipx:u@h <sip:v@h>", "<sip:u?x@h>", "sip:u,v@h", "tel:", "sip:", "ssip:u@h",
                      "ssips:u@h", "xtel:9@h", "sip:sip:u@h", "\"x\" <urn:sip:u@h>", ":sip:u@h", "sips", "s:ip:u@h"]
        var compared = 0
        for v in values {
            let bytes = Array(v.utf8)
            // Every cut of the value, and every one-byte change of it to a byte that matters.
            var variants = (0...bytes.count).map { Array(bytes[0..<$0]) }
            for i in bytes.indices {
                for b: UInt8 in [58, 64, 59, 62, 32, 115, 83, 112, 116, 108, 0, 0xff] {
                    var changed = bytes
                    changed[i] = b
                    variants.append(changed)
                }
            }
            for variant in variants {
                let found = variant.withUnsafeBytes { SIPURI.user(in: $0) }
                #expect(found == plainUser(variant), "\(String(decoding: variant, as: UTF8.self).debugDescription)")
                compared += 1
            }
        }
        #expect(compared > 2000)
        let sample = Array("\"9300102\" <sip:9300102@chicago.example.com>;tag=1".utf8)
        #expect(sample.withUnsafeBytes { SIPURI.user(in: $0) } == 15..<22)
    }
}
