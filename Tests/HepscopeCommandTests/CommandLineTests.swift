import Foundation
import Testing
import TestSupport
import WireDecoding

/// The command's behaviour on inputs people actually hand it: pipes, gzip files, damaged files
/// and files that are not captures at all.
@Suite struct CommandLineTests {
    static let udpCapture = Fixtures.kamailio("hep-kamailio-udp.pcap")

    func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> URL {
        let url = URL(fileURLWithPath: TestFolder.path("capture\(suffix)"))
        try Data(bytes).write(to: url)
        return url
    }

    /// The viewer refuses a terminal that cannot move its cursor, and says what to do; with
    /// one that can but no terminal on stdin/stdout, it says that instead.
    @Test func theViewerNeedsATerminalThatCanMoveItsCursor() throws {
        for term in ["dumb", ""] {
            let run = try HepscopeRun.run(["view", Self.udpCapture.path], environment: ["TERM": term])
            #expect(run.status == 64)
            let said = term.isEmpty ? "not set" : "'\(term)'"
            #expect(run.stderr.contains("the viewer needs a terminal that can move its cursor, and TERM is \(said)"), "\(run.stderr)")
        }
        let piped = try HepscopeRun.run(["view", Self.udpCapture.path], environment: ["TERM": "xterm-256color"])
        #expect(piped.status == 64 && piped.stderr.contains("the viewer needs a terminal; 'hepscope print'"), "\(piped.stderr)")
    }

    @Test func readsACaptureFromStandardInput() throws {
        let bytes = try Data(contentsOf: Self.udpCapture)
        let fromFile = try HepscopeRun.run(["print", Self.udpCapture.path])
        let fromPipe = try HepscopeRun.run(["print", "-"], stdin: bytes)
        #expect(fromPipe.status == 0)
        #expect(fromPipe.stdout == fromFile.stdout)
        #expect(fromPipe.stdout.contains("udp-busy-1-642@127.0.0.1"))
    }

    @Test func readsGzipCompressedCaptures() throws {
        let compressed = try temporaryFile(try Fixtures.gzipped(Self.udpCapture), suffix: ".pcap.gz")
        defer { try? FileManager.default.removeItem(at: compressed) }
        let run = try HepscopeRun.run(["print", "--json", compressed.path])
        let plain = try HepscopeRun.run(["print", "--json", Self.udpCapture.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"format\":\"pcap.gz\""))
        #expect(run.stdout.replacingOccurrences(of: compressed.path, with: "X")
            .replacingOccurrences(of: "pcap.gz", with: "pcap")
            == plain.stdout.replacingOccurrences(of: Self.udpCapture.path, with: "X"))
    }

    @Test func truncatedCaptureLoadsWhatIsThereAndSaysSo() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.udpCapture))
        let cut = try temporaryFile(Array(bytes.prefix(bytes.count / 2)), suffix: ".pcap")
        defer { try? FileManager.default.removeItem(at: cut) }
        let run = try HepscopeRun.run(["print", "--summary", cut.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("warning: "))
        #expect(run.stdout.lowercased().contains("truncated"))
        // Every complete record before the cut is there: about half of the 280 messages.
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("input:") }!
        let sip = Int(line.split(separator: " ")[3])!
        #expect(sip > 130 && sip < 150)
        // save keeps what is there, and says the input was cut (on stderr, beside "saved").
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: out) }
        let save = try HepscopeRun.run(["save", "-o", out.path, cut.path])
        #expect(save.status == 0)
        #expect(save.stderr.contains("hepscope: warning: ") && save.stderr.lowercased().contains("truncated"), "\(save.stderr)")
        #expect(save.stderr.contains("saved \(sip) messages"))
    }

    /// A capture with nothing to show gets one warning that says why: cut inside its file
    /// header, or frames of a link type that cannot be decoded (not "other traffic").
    @Test func aCaptureWithNothingToShowSaysWhyOnce() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.udpCapture))
        let cut = try temporaryFile(Array(bytes.prefix(20)), suffix: ".pcap")
        var odd = PcapWriter(linkType: 147)
        odd.append(Array(repeating: 0x45, count: 60), time: Timestamp(nanoseconds: 1_000_000_000))
        let unknownLink = try temporaryFile(odd.bytes, suffix: ".pcap")
        defer { for u in [cut, unknownLink] { try? FileManager.default.removeItem(at: u) } }
        for (url, expected) in [(cut, "truncated"), (unknownLink, "1 could not be decoded")] {
            let run = try HepscopeRun.run(["print", "--json", url.path])
            let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            let warnings = (doc["input"] as! [String: Any])["warnings"] as! [String]
            #expect(warnings.count == 1 && warnings[0].contains(expected), "\(warnings)")
        }
    }

    /// A capture whose every HEP packet has another auth key: the warning says they were
    /// dropped for it, not that the capture held other traffic.
    @Test func aWrongHEPKeySaysWhyNothingWasKept() throws {
        let run = try HepscopeRun.run(["print", "--json", "--hep-key", "wrong", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let warnings = (doc["input"] as? [String: Any])?["warnings"] as? [String] ?? []
        #expect(warnings.count == 1 && warnings.first?.hasSuffix("no messages kept of 280 frames: 280 dropped (HEP auth key mismatch)") == true,
                "\(warnings)")
    }

    /// Numbers out of range say so (a negative one is not taken for an option), modes that
    /// exclude each other are refused, and replay's inputs and targets fail as print's do.
    @Test func wrongNumbersModesAndTargetsSayWhatIsWrong() throws {
        let dump = Fixtures.kamailio("hep-raw-udp.bin").path
        let cases: [([String], Int32, String)] = [
            (["print", "--duration", "-1", "udp://127.0.0.1:0"], 64, "--duration must be positive"),
            (["print", "--idle-timeout", "-5", "udp://127.0.0.1:0"], 64, "--idle-timeout must be positive"),
            (["print", "--idle-timeout", "1e20", "udp://127.0.0.1:0"], 64, "--idle-timeout must be positive, at most a year"),
            (["print", "--duration", "nan", "udp://127.0.0.1:0"], 64, "--duration must be positive"),
            (["bench", "--live", "--seconds", "1e300", dump], 64, "--seconds must be positive, at most a day"),
            (["bench", "--live", "--viewer", dump], 64, "choose one of --live and --viewer"),
            (["bench", "--repeats", "0", dump], 64, "--repeats must be at least 1"),
            (["replay", "--rate", "-1", dump, "udp://127.0.0.1:9"], 64, "--rate must be 0 (as fast as possible) or more"),
            (["replay", dump, "udp://127.0.0.1:99999"], 64, "'99999' is not a port number"),
            (["replay", dump, "tcp://127.0.0.1:9"], 64, "Usage: hepscope replay"),
            (["replay", dump, "udp://127.0.0.1:0"], 64, "port 0 is no listener's: give the port it listens on"),
            (["replay", NSTemporaryDirectory(), "udp://127.0.0.1:9"], 2, "is a directory"),
            (["replay", "/nonexistent-capture", "udp://127.0.0.1:9"], 2, "hepscope: /nonexistent-capture: No such file or directory"),
            // Flags that would do nothing here.
            (["print", "--summary", "--write", "w.pcap", dump], 64, "--write records what listeners receive"),
            (["save", "-o", "x.pcap", "--ascii", dump], 64, "--ascii goes with the ladder format"),
            (["save", "-o", "x.txt", "--decapsulate", dump], 64, "--decapsulate goes with the pcap and pcapng formats"),
        ]
        for (arguments, status, message) in cases {
            let run = try HepscopeRun.run(arguments)
            #expect(run.status == status, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    /// `--decapsulate` writes plain SIP: HEP events (logs, RTCP reports) have no place there
    /// and are left out, said, rather than made into datagrams between ports 0.
    @Test func decapsulatingLeavesEventsOutAndSaysSo() throws {
        let hlog = try Scenarios.write(Scenarios.hlogEvents())
        let out = URL(fileURLWithPath: TestFolder.path("decapsulated-\(UUID().uuidString).pcap"))
        let run = try HepscopeRun.run(["save", "-o", out.path, "--decapsulate", hlog.path])
        #expect(run.status == 0)
        #expect(run.stderr.contains("saved 7 messages to \(out.path) (5 HEP events left out: plain SIP has no place for them)"), "\(run.stderr)")
        let again = try HepscopeRun.run(["print", "--summary", out.path])
        #expect(again.stdout.contains("input: 7 packets, 7 SIP messages, 0 other events, 0 malformed"), "\(again.stdout)")
    }

    /// print's group headings count SIP messages and HEP events apart, as --summary does.
    @Test func headingsCountEventsApart() throws {
        let hlog = try Scenarios.write(Scenarios.hlogEvents())
        for mode in [[], ["--ladder"]] {
            let run = try HepscopeRun.run(["print"] + mode + [hlog.path])
            #expect(run.stdout.contains("== log-run: 1 call, 7 messages, 5 events\n"), "\(mode): \(run.stdout.prefix(300))")
        }
    }

    /// A raw dump cut inside a record: what it holds is sent, and the cut is said.
    @Test func aCutDumpIsReplayedAndSaidToBeCut() throws {
        let whole = try Fixtures.bytes(Fixtures.kamailio("hep-raw-udp.bin"))
        let cut = try temporaryFile(Array(whole.prefix(1000)), suffix: ".bin")
        let run = try HepscopeRun.run(["replay", cut.path, "udp://127.0.0.1:\(LiveCommandTests.freePort())"])
        #expect(run.stdout.hasPrefix("sent 1 packets,"), "\(run.stdout)")
        #expect(run.stderr.contains("warning: \(cut.path): the dump ends inside a record at byte 705 (295 bytes left over); 1 packets read"),
                "\(run.stderr)")
        let full = try HepscopeRun.run(["replay", Fixtures.kamailio("hep-raw-udp.bin").path, "udp://127.0.0.1:\(LiveCommandTests.freePort())"])
        #expect(!full.stderr.contains("warning"), "\(full.stderr)")
    }

    /// A relay to the run's own listener (every packet would go round for ever) and a relay
    /// scheme it cannot use are refused before anything starts.
    @Test func aRelayThatCannotWorkIsRefused() throws {
        let loop = try HepscopeRun.run(["print", "--duration", "0.1", "--relay", "udp://localhost:19000", "udp://0.0.0.0:19000"])
        #expect(loop.status == 64 && loop.stderr.contains("is this run's own listener"), "\(loop.stderr)")
        let tls = try HepscopeRun.run(["print", "--duration", "0.1", "--relay", "tls://127.0.0.1:9061", "udp://127.0.0.1:0"])
        #expect(tls.status == 64 && tls.stderr.contains("relay to udp://HOST:PORT or tcp://HOST:PORT"), "\(tls.stderr)")
    }

    /// replay to a port nobody listens on says how many packets the kernel refused and why.
    @Test func replayToNobodySaysSo() throws {
        let port = LiveCommandTests.freePort()
        let run = try HepscopeRun.run(["replay", "--rate", "1000", Fixtures.kamailio("hep-raw-udp.bin").path, "udp://127.0.0.1:\(port)"])
        let refused = run.stderr.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(run.stderr.contains("packets not sent: nothing listening at udp://127.0.0.1:\(port)"), "\(run.stderr)")
        #expect(refused > 0 && run.stdout.hasPrefix("sent \(280 - refused) of 280 packets"), "\(run.stdout)")
        #expect(run.status == 1)
    }

    @Test func asciiAsksForALadder() throws {
        let run = try HepscopeRun.run(["print", "--ascii", Self.udpCapture.path])
        #expect(run.status == 64 && run.stderr.contains("--ascii goes with --ladder"))
        #expect(try HepscopeRun.run(["print", "--ladder", "--ascii", Self.udpCapture.path]).status == 0)
    }

    @Test func fileThatIsNotACaptureGetsOneClearErrorLine() throws {
        let text = try temporaryFile(Array("<html>not a capture</html>\n".utf8), suffix: ".pcap")
        defer { try? FileManager.default.removeItem(at: text) }
        let run = try HepscopeRun.run(["print", text.path])
        #expect(run.status == 2)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("hepscope: \(text.path): not a pcap or pcapng file") == true)
    }

    @Test func missingFileAndEmptyFile() throws {
        let missing = try HepscopeRun.run(["print", "/nonexistent/x.pcap"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("No such file or directory"))
        // Beside a file that reads, JSON names the one that did not, and keeps the other's calls.
        let json = try HepscopeRun.run(["print", "--json", "/nonexistent/x.pcap", Self.udpCapture.path])
        #expect(json.status == 2)
        let input = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["input"] as? [String: Any])
        #expect(input["failures"] as? [String] == ["/nonexistent/x.pcap: No such file or directory"])
        #expect((input["sip_messages"] as? Int) == 280)
        let empty = try temporaryFile([], suffix: ".pcap")
        defer { try? FileManager.default.removeItem(at: empty) }
        let run = try HepscopeRun.run(["print", empty.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("empty file"))
    }

    @Test func aBadSourceDoesNotHideTheGoodOnes() throws {
        let run = try HepscopeRun.run(["print", "--summary", "/nonexistent/x.pcap", Self.udpCapture.path])
        #expect(run.status == 2)
        #expect(run.stdout.contains("tb-20261127T015517Z-udp-a"))
    }

    @Test func textOutputHasOneLinePerMessage() throws {
        let run = try HepscopeRun.run(["print", Self.udpCapture.path])
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("    2026-11-27 ") }.count == 280)
        #expect(lines.contains { $0.contains("127.0.0.1:5082 -> 127.0.0.1:5062  UDP  486  1 INVITE") })
    }
}

@Suite struct CaptureCommentTests {
    @Test func pcapngCommentsAreKeptInTheJSON() throws {
        let sip = Array(("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\nCall-ID: c-1\r\n"
            + "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8)
        let frame = FrameBuilder.udp(from: Endpoint(address: .v4(0x0a00_0001), port: 5060),
                                     to: Endpoint(address: .v4(0x0a00_0002), port: 5060), payload: sip)
        var b = PcapngBuilder()
        b.shb(comments: ["night run \u{1b}[31m 3"])
        b.idb(linkType: 1)
        b.epb(units: 1_700_000_000_000_000, data: frame, comments: ["the probe"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-\(UUID().uuidString).pcapng")
        try Data(b.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try HepscopeRun.run(["print", "--json", url.path])
        #expect(run.status == 0)
        // The escape character in the file comment is escaped, never passed through raw.
        #expect(run.stdout.contains("\"comments\":[\"night run \\u001b[31m 3\"]"))
        #expect(run.stdout.contains("\"comment\":\"the probe\""))
        #expect(!run.stdout.contains("\u{1b}"))
    }
}

@Suite struct ModelOptionTests {
    @Test func memoryLimitDropsWholeSessionsAndSaysSo() throws {
        let run = try HepscopeRun.run(["print", "--summary", "--memory-limit", "1K",
                                       Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(run.status == 0)
        // Session a goes whole; b, alone over the budget, keeps its newest call, and its row
        // still counts all twenty calls.
        #expect(run.stdout.contains("memory limit: 1 group and 19 ended calls of the newest session"))
        #expect(!run.stdout.contains("tb-20261127T015517Z-udp-a "))
        let b = run.stdout.split(separator: "\n").first { $0.hasPrefix("tb-20261127T015517Z-udp-b ") }
        let columns = b?.split(separator: " ", omittingEmptySubsequences: true) ?? []
        #expect(columns.count > 10 && columns[2] == "20" && columns[9] == "140", "\(b ?? "")")
        let json = try HepscopeRun.run(["print", "--json", "--memory-limit", "1K", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(json.stdout.contains("\"call_count\":1,\"dropped_call_count\":19,"))
        #expect(json.stdout.contains("\"evicted_groups\":1,"))
        #expect(json.stdout.contains("\"evicted_calls\":19,"))
        // Every kind of output says so, and a filter does not hide it.
        for args in [["print"], ["print", "--ladder"], ["print", "--summary", "--filter", "state:busy"]] {
            let other = try HepscopeRun.run(args + ["--memory-limit", "1K", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
            #expect(other.stdout.contains("memory limit: 1 group and 19 ended calls of the newest session (276 messages) dropped"),
                    "\(args)")
            // Under a filter the rows hold the calls shown only, and say no more.
            #expect(other.stdout.contains("session figures still count them") == !args.contains("--filter"), "\(args)")
        }
        let bad = try HepscopeRun.run(["print", "--memory-limit", "lots", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--memory-limit"))
    }

    @Test func configuredHeaderLinksLegs() throws {
        func invite(_ callID: String, tag: String) -> [UInt8] {
            Array(("INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK\(callID)\r\nFrom: <sip:a@x>;tag=1\r\n"
                + "To: <sip:b@x>\r\nCall-ID: \(callID)\r\nCSeq: 1 INVITE\r\nX-Test-Run: \(tag)\r\nContent-Length: 0\r\n\r\n").utf8)
        }
        var pcap = PcapWriter()
        let a = Endpoint(address: .v4(0x0a00_0001), port: 5060), b = Endpoint(address: .v4(0x0a00_0002), port: 5060)
        pcap.append(FrameBuilder.udp(from: a, to: b, payload: invite("leg-1", tag: "T-77")), time: Timestamp(nanoseconds: 1_000_000_000))
        pcap.append(FrameBuilder.udp(from: b, to: a, payload: invite("leg-2", tag: "T-77")), time: Timestamp(nanoseconds: 2_000_000_000))
        pcap.append(FrameBuilder.udp(from: b, to: a, payload: invite("other", tag: "T-78")), time: Timestamp(nanoseconds: 3_000_000_000))
        let url = try Scenarios.write(pcap.bytes, name: "custom-header.pcap")
        let plain = try HepscopeRun.run(["print", "--json", url.path])
        let linked = try HepscopeRun.run(["print", "--json", "--link-header", "X-Test-Run", url.path])
        func groups(_ out: String) throws -> [[String: Any]] {
            (try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any])["groups"] as! [[String: Any]]
        }
        #expect(try groups(plain.stdout).count == 1)  // everything uncorrelated
        let g = try groups(linked.stdout)
        #expect(g.count == 2)
        #expect(g[0]["correlation_id"] as? String == "leg-1")
        #expect(g[0]["correlation_source"] as? String == "x-test-run")
        let legs = (g[0]["calls"] as! [[String: Any]]).map { $0["call_id"] as! String }
        #expect(legs == ["leg-1", "leg-2"])
        let link = ((g[0]["calls"] as! [[String: Any]])[0]["linked_by"] as! [[String: Any]])[0]
        #expect(link["call_id"] as? String == "leg-2" && link["header"] as? String == "X-Test-Run")
    }
}

@Suite struct FilterOptionTests {
    @Test func printFilterShowsOnlyMatchingCalls() throws {
        let run = try HepscopeRun.run(["print", "--json", "--filter", "state:busy", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let groups = doc["groups"] as! [[String: Any]]
        #expect(groups.map { $0["correlation_id"] as? String } == ["tb-20261127T015517Z-udp-b"])
        let calls = groups[0]["calls"] as! [[String: Any]]
        #expect(calls.count == 10 && calls.allSatisfy { $0["state"] as? String == "busy" })
        #expect((groups[0]["statistics"] as! [String: Any])["failed"] as? Int == 10)
    }

    /// Exact duplicates dropped while loading count under a filter when the message they repeat
    /// is shown, and not when it is filtered out.
    @Test func filteredJSONCountsTheDuplicatesOfShownMessages() throws {
        let dup = try Scenarios.write(Scenarios.duplicateSightings())
        let other = try Scenarios.write(Scenarios.reusedCallIDAcrossSessions())
        func duplicates(_ filter: String) throws -> (groups: Int, duplicates: Int?) {
            let run = try HepscopeRun.run(["print", "--json", "--filter", filter, dup.path, other.path])
            let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            return ((doc["groups"] as! [Any]).count, (doc["input"] as! [String: Any])["exact_duplicates"] as? Int)
        }
        #expect(try duplicates("corr:dup-run") == (1, 1))
        #expect(try duplicates("corr:run-") == (2, 0))
        #expect(try duplicates("corr:run- or corr:dup-run") == (3, 1))
    }

    /// `-o -` writes to standard output (for a pipe into tshark or Wireshark), in the format
    /// --format names; without --format it is a command-line mistake.
    @Test func saveToStandardOutput() throws {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let run = try HepscopeRun.run(["save", "-o", "-", "--format", "json", "--filter", "state:busy", path])
        #expect(run.status == 0 && run.stderr == "saved 40 messages to standard output\n", "\(run.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let calls = (doc["groups"] as! [[String: Any]]).flatMap { $0["calls"] as! [[String: Any]] }
        #expect(calls.count == 10 && calls.allSatisfy { $0["state"] as? String == "busy" })
        let bare = try HepscopeRun.run(["save", "-o", "-", path])
        #expect(bare.status == 64 && bare.stderr.contains("-o - writes to standard output: give --format"), "\(bare.stderr)")
    }

    @Test func saveFilterWritesOnlyMatchingCalls() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("filtered-\(UUID().uuidString).pcapng")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try HepscopeRun.run(["save", "-o", out.path, "--filter", "callid:busy-1- or callid:busy-2-",
                                       Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(run.status == 0)
        let reopened = try HepscopeRun.run(["print", "--json", out.path])
        let doc = try JSONSerialization.jsonObject(with: Data(reopened.stdout.utf8)) as! [String: Any]
        let ids = (doc["groups"] as! [[String: Any]]).flatMap { ($0["calls"] as! [[String: Any]]).map { $0["call_id"] as! String } }
        #expect(Set(ids) == ["udp-busy-1-642@127.0.0.1", "udp-busy-2-642@127.0.0.1"])
    }

    @Test func aBadFilterIsACommandLineError() throws {
        let run = try HepscopeRun.run(["print", "--filter", "method:(", Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--filter: at column 8"))
    }
}

/// Captures that once crashed `hepscope`, replayed through every output.
@Suite struct FuzzRegressionCommandTests {
    @Test func timesAtBothEndsOfTheRangePrintInEveryForm() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("extreme-times-\(getpid()).pcapng")
        try Data(FuzzRegressionInputs.extremeTimesPcapng).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for flags in [[], ["--summary"], ["--json"], ["--ladder"]] {
            let run = try HepscopeRun.run(["print"] + flags + [file.path])
            #expect(run.status == 0, "print \(flags): \(run.stderr)")
        }
        let text = try HepscopeRun.run(["print", file.path]).stdout
        #expect(text.contains("INVITE"))
        for format in ["pcap", "pcapng", "json", "svg"] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("extreme-times-saved-\(getpid()).\(format)")
            defer { try? FileManager.default.removeItem(at: out) }
            let run = try HepscopeRun.run(["save", file.path, "-o", out.path])
            #expect(run.status == 0, "save as \(format): \(run.stderr)")
        }
    }
}
