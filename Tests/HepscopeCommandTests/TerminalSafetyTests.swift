import Foundation
import Testing
import TestSupport
import TraceOutput
import WireDecoding

/// Nothing a packet carries may reach the terminal as a control sequence: escape sequences,
/// C1 controls, NUL, bidirectional overrides and invalid UTF-8 come out as visible escapes,
/// in every text output (print, summary, ladder, saved text and diagrams) and inside JSON strings.
@Suite struct TerminalSafetyTests {
    /// A clear-screen, an OSC 52 clipboard write, a C1 CSI, a bidi override, NUL and bad UTF-8.
    static let poison: [UInt8] = Array("\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{07}".utf8) + [0xc2, 0x9b] + Array("31m".utf8)
        + Array("\u{202e}txt.exe".utf8) + [0x00, 0xff, 0xfe, 0xc3]

    static func hostileCapture() throws -> URL {
        let callID = Array("evil-".utf8) + poison + Array("@x".utf8)
        let longLine = "X-Long: " + String(repeating: "A", count: 100_000)
        var sip = Array("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n".utf8)
        sip += Array("From: <sip:".utf8) + poison + Array("@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: ".utf8) + callID
        sip += Array("\r\nCSeq: 1 INVITE\r\n\(longLine)\r\nContent-Length: 0\r\n\r\n".utf8)
        let a = Endpoint(address: .v4(0x0a00_0001), port: 5060), b = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        var hep = HEPBuilder()
        hep.chunk(3, [10, 0, 0, 1]); hep.chunk(4, [10, 0, 0, 2]); hep.chunk(7, [0x13, 0xc4]); hep.chunk(8, [0x13, 0xc4])
        hep.chunk(9, [0x6b, 0x49, 0xd2, 0x00]); hep.chunk(0x0a, [0, 0, 0, 1]); hep.chunk(0x0b, [1])
        hep.chunk(0x11, Array("run-".utf8) + poison)
        hep.chunk(0x13, Array("node-".utf8) + poison)
        hep.chunk(0x0f, sip)
        var log = HEPBuilder()
        log.chunk(3, [10, 0, 0, 1]); log.chunk(4, [10, 0, 0, 2]); log.chunk(0x0b, [100])
        log.chunk(0x11, Array("run-".utf8) + poison)
        log.chunk(0x0f, Array("log line ".utf8) + poison)
        var pcap = PcapWriter()
        pcap.append(FrameBuilder.udp(from: a, to: Endpoint(address: .v4(0x0a00_0003), port: 9060), payload: hep.packet()),
                    time: Timestamp(nanoseconds: 1_800_000_000_000_000_000))
        pcap.append(FrameBuilder.udp(from: a, to: Endpoint(address: .v4(0x0a00_0003), port: 9060), payload: log.packet()),
                    time: Timestamp(nanoseconds: 1_800_000_001_000_000_000))
        // The same message as plain SIP too.
        pcap.append(FrameBuilder.udp(from: a, to: b, payload: sip), time: Timestamp(nanoseconds: 1_800_000_002_000_000_000))
        return try Scenarios.write(pcap.bytes, name: "hostile.pcap")
    }

    /// No ESC, no C0 control except newline (and tab), no DEL, no C1, no bidi control.
    static func assertPrintable(_ text: String, _ what: String) {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let bad = (v < 0x20 && v != 0x0a && v != 0x09) || v == 0x7f || (0x80...0x9f).contains(v)
                || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
            if bad {
                Issue.record("\(what): raw control U+\(String(v, radix: 16)) in output")
                return
            }
        }
    }

    @Test(arguments: [["print"], ["print", "--summary"], ["print", "--ladder"], ["print", "--json"]])
    func printOutputsShowEscapesNotControls(args: [String]) throws {
        let url = try Self.hostileCapture()
        let run = try HepscopeRun.run(args + [url.path])
        #expect(run.status == 0)
        Self.assertPrintable(run.stdout, args.joined(separator: " "))
        if args.count == 1 || args[1] != "--json" {
            #expect(run.stdout.contains("\\e[2J") || args.contains("--ladder"))
        } else {
            // Valid JSON whose strings carry the escapes as \u sequences.
            let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(doc != nil)
            #expect(run.stdout.contains("\\u001b[2J"))
            #expect(run.stdout.contains("\\u202e"))
        }
        // Bytes that are not UTF-8 in a Call-ID, correlation id or From user stay told apart,
        // as \xNN (in JSON, its backslash escaped), never as a replacement character.
        #expect(!run.stdout.contains("\u{fffd}") && !run.stdout.contains("\\ufffd"))
        if !args.contains("--ladder") {
            #expect(run.stdout.contains(args.contains("--json") ? "\\\\xff\\\\xfe\\\\xc3" : "\\xff\\xfe\\xc3"))
        }
    }

    @Test(arguments: ["txt", "mmd", "html", "svg", "ladder.txt"])
    func savedTextFormatsAreSafeToo(ext: String) throws {
        let url = try Self.hostileCapture()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).\(ext)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try HepscopeRun.run(["save", "-o", out.path, url.path])
        #expect(run.status == 0)
        Self.assertPrintable(run.stderr, "save messages")
        let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
        Self.assertPrintable(text, ext)
    }

    @Test func safeTextEscapesEveryDangerousByte() {
        let escaped = Self.poison.withUnsafeBytes { SafeText.line($0) }
        #expect(escaped == "\\e[2J\\e]52;c;ZXZpbA==\\x07\\u{9b}31m\\u{202e}txt.exe\\x00\\xff\\xfe\\xc3")
        let block = Array("a\r\nb\tc\u{1b}".utf8).withUnsafeBytes { SafeText.block($0) }
        #expect(block == "a\nb\tc\\e")
    }
}
