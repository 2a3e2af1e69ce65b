import Foundation
import Testing
import TestSupport
import TraceModel
@testable import TraceViewer

/// `/` in a list of calls looks at the calls' bytes, not at a text made for each: it must give
/// the answers the text would, in any case, across fields, and outside ASCII.
@Suite struct CallSearchTests {
    @Test func theBytesAnswerAsTheTextDoes() throws {
        let hostile = try Scenarios.write(HostileCapture.pcap(), name: "hostile-search.pcap")
        let p = Pilot(paths: [Fixtures.kamailio("hep-kamailio-udp.pcap").path, Fixtures.kamailio("sip-plain-tcp.pcap").path,
                              hostile.path], width: 120, height: 40)
        let model = p.model
        let calls = model.store.calls.indices.map { Int32($0) }
        // Listed in another order than the model's, as a sorted list would be.
        let rows = calls.reversed().map { CallRow(call: $0, depth: 0, linkReason: nil) }
        let texts = rows.map { model.callSearchText($0.call) }
        #expect(texts.contains { $0.unicodeScalars.contains { $0.value == 0x202e } }, "a call with text outside ASCII")
        var needles: Set<String> = [" ", "  ", "nosuchcall", "no such call", "invite", "486", "8", "mal", "lory",
                                    "\u{202e}", "\u{202e}lory", "é", "k", "@", "-"]
        for text in texts.prefix(40) {
            let lower = Array(text.lowercased())
            needles.insert(String(lower.prefix(5)))
            needles.insert(String(lower.suffix(4)))
            // Windows across the spaces between fields.
            for start in stride(from: 0, to: max(0, lower.count - 12), by: 7) { needles.insert(String(lower[start..<start + 12])) }
        }
        // All the calls (looked at in the model's order), and a few of them (row by row).
        let few = Array(rows.indices.filter { $0 % 5 == 0 })
        var matchedSome = 0
        for needle in needles {
            for list in [Array(rows.indices), few] {
                let listed = list.map { rows[$0] }
                let search = model.callSearch(listed, needle: needle)
                let wrong = list.indices.filter { search($0) != texts[list[$0]].lowercased().contains(needle) }
                #expect(wrong.isEmpty, "'\(needle)', \(list.count) rows: \(wrong.map { texts[list[$0]] })")
            }
            if rows.indices.contains(where: model.callSearch(rows, needle: needle)) { matchedSome += 1 }
        }
        #expect(matchedSome > needles.count / 2)
    }
}
