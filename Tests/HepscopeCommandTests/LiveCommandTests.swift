import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

let replayTool = Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/tools/hep-replay.py")

/// `hepscope print` with listeners, as a user runs it next to Kamailio.
@Suite(.serialized) struct LiveCommandTests {
    static let replay = replayTool

    /// 127.0.0.1:`port` for the socket calls.
    static func loopback(_ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return addr
    }

    /// Binds a socket of `type` to 127.0.0.1:`port`; the descriptor, or nil when the port is taken.
    static func bindLoopback(_ port: Int, type: __socket_type = SOCK_DGRAM) -> Int32? {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        var addr = loopback(port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { close(fd); return nil }
        return fd
    }

    /// A port nobody listens on right now.
    static func freePort() -> Int {
        guard let fd = bindLoopback(0) else { return 0 }
        defer { close(fd) }
        var addr = loopback(0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func start(_ args: [String]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = HepscopeRun.binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    func replay(_ target: String, _ extra: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.replay.path, Fixtures.kamailio("hep-raw-udp.bin").path, target] + extra
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
    }

    /// Waits until the listener answers (the process binds after it starts).
    func waitForListener() { usleep(700_000) }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path)))
    func countEndsTheRunAndTheJSONMatchesTheTruth() throws {
        let port = Self.freePort()
        let (p, out, _) = try start(["print", "--json", "--count", "280", "udp://127.0.0.1:\(port)"])
        waitForListener()
        try replay("udp://127.0.0.1:\(port)", ["--rate", "5000"])
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(port).json")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let compare = Process()
        compare.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compare.arguments = ["python3", Self.replay.deletingLastPathComponent().appendingPathComponent("compare-truth.py").path,
                             Fixtures.kamailio("hep-kamailio-udp.truth.json").path, url.path]
        let cmpOut = Pipe()
        compare.standardOutput = cmpOut
        try compare.run()
        compare.waitUntilExit()
        #expect(String(decoding: cmpOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "match: 280 messages\n")
    }

    /// Live payloads go to an unlinked spool file (in /proc/PID/fd as "... (deleted)") unless
    /// --payloads-in-memory keeps them in memory; what is printed is the same either way.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path)))
    func livePayloadsGoToASpoolFileUnlessKeptInMemory() throws {
        var summaries: [String] = []
        for inMemory in [false, true] {
            let port = Self.freePort()
            let (p, out, _) = try start(["print", "--summary", "--duration", "3"]
                                        + (inMemory ? ["--payloads-in-memory"] : []) + ["udp://127.0.0.1:\(port)"])
            waitForListener()
            try replay("udp://127.0.0.1:\(port)", ["--rate", "5000"])
            usleep(300_000)
            let fdDir = "/proc/\(p.processIdentifier)/fd"
            let targets = ((try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? [])
                .compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\($0)") }
            let spools = targets.filter { $0.contains("hepscope-spool-") }
            #expect(spools.count == (inMemory ? 0 : 1), "\(spools)")
            #expect(spools.allSatisfy { $0.hasSuffix("(deleted)") }, "\(spools)")
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            summaries.append(String(decoding: data, as: UTF8.self).replacingOccurrences(of: ":\(port)", with: ":PORT"))
        }
        #expect(summaries[0].contains("280 SIP"), "\(summaries[0])")
        #expect(summaries[0] == summaries[1])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path)))
    func ctrlCPrintsWhatArrivedAlongsideAFile() throws {
        let port = Self.freePort()
        let (p, out, _) = try start(["print", "--summary", "tcp://127.0.0.1:\(port)", Fixtures.kamailio("sip-plain-udp.pcap").path])
        waitForListener()
        try replay("tcp://127.0.0.1:\(port)")
        usleep(500_000)
        kill(p.processIdentifier, SIGINT)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("tb-20261127T015517Z-udp-a "))
        #expect(text.contains("(uncorrelated)"))  // the file's plain SIP
        #expect(text.contains("source tcp://127.0.0.1:\(port): 280 packets, 280 SIP"))
        #expect(text.contains("1 connections (0 open)"))
    }

    @Test func durationEndsAnIdleRun() throws {
        let port = Self.freePort()
        let start = Date()
        let run = try HepscopeRun.run(["print", "--json", "--duration", "1", "udp://127.0.0.1:\(port)"])
        #expect(run.status == 0)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(run.stdout.hasPrefix("{\"groups\":[],"))
    }

    /// Port 0 asks for a free port: the source is named by the port it got, not by 0.
    @Test func aListenerOnPortZeroIsNamedByItsPort() throws {
        let run = try HepscopeRun.run(["print", "--json", "--duration", "0.5", "udp://127.0.0.1:0", "tcp://127.0.0.1:0"])
        #expect(run.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let names = ((doc["input"] as! [String: Any])["sources"] as! [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(names.count == 2)
        for (name, scheme) in zip(names, ["udp", "tcp"]) {
            let port = Int(name.dropFirst("\(scheme)://127.0.0.1:".count))
            #expect(name.hasPrefix("\(scheme)://127.0.0.1:") && port != nil && port != 0, "\(name)")
        }
    }

    /// `--count N` keeps exactly the first N messages, though they arrive in batches of many:
    /// from a listener fed faster than that, and from a file (which then says what it left out).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path)))
    func countKeepsExactlyThatMany() throws {
        func messages(_ json: String) throws -> (count: Int, warnings: [String]) {
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let groups = doc["groups"] as? [[String: Any]] ?? []
            let calls = groups.flatMap { $0["calls"] as? [[String: Any]] ?? [] }
            let count = calls.reduce(0) { $0 + (($1["messages"] as? [Any])?.count ?? 0) }
            return (count, (doc["input"] as? [String: Any])?["warnings"] as? [String] ?? [])
        }
        let port = Self.freePort()
        let (p, out, _) = try start(["print", "--json", "--count", "100", "udp://127.0.0.1:\(port)"])
        waitForListener()
        try replay("udp://127.0.0.1:\(port)", ["--rate", "5000"])
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(try messages(String(decoding: data, as: UTF8.self)).count == 100)

        let file = try HepscopeRun.run(["print", "--json", "--count", "5", Fixtures.kamailio("sip-plain-udp.pcap").path])
        let kept = try messages(file.stdout)
        #expect(kept.count == 5)
        #expect(kept.warnings == ["--count 5: the first 5 messages kept; 585 more received were left out"], "\(kept.warnings)")
    }

    /// HEPv1 has no capture id field (v2 has one in its time header): the JSON says null, not 0.
    @Test func hepV1HasNoCaptureID() throws {
        let port = Self.freePort()
        let (p, out, _) = try start(["print", "--json", "--count", "2", "udp://127.0.0.1:\(port)"])
        waitForListener()
        func sip(_ callID: String) -> [UInt8] { Array("OPTIONS sip:a SIP/2.0\r\nCall-ID: \(callID)\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8) }
        let v1: [UInt8] = [1, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2] + sip("v1")
        let v2: [UInt8] = [2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2,
                           0x5b, 0x4c, 0xc7, 0x69, 0x40, 0xe2, 0x01, 0x00, 0x07, 0x00, 0, 0] + sip("v2")
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = Self.loopback(port)
        for packet in [v1, v2] {
            _ = packet.withUnsafeBytes { b in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let calls = ((doc["groups"] as? [[String: Any]]) ?? []).flatMap { ($0["calls"] as? [[String: Any]]) ?? [] }
        let byCall = Dictionary(uniqueKeysWithValues: calls.map { ($0["call_id"] as? String ?? "", ($0["messages"] as? [[String: Any]])?.first ?? [:]) })
        #expect(byCall["v1"]?["hep_version"] as? Int == 1)
        #expect(byCall["v1"]?["capture_id"] is NSNull)
        #expect(byCall["v2"]?["capture_id"] as? Int == 7)
    }

    @Test func badListenURLsAreCommandLineErrors() throws {
        let run = try HepscopeRun.run(["print", "sctp://127.0.0.1:9"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("unknown scheme 'sctp'"))
        let tls = try HepscopeRun.run(["print", "tls://127.0.0.1:9061"])
        #expect(tls.status == 64)
        #expect(tls.stderr.contains("?cert=FILE&key=FILE"))
    }

    /// A run's end is checked before anything listens, by print and save alike.
    @Test func runLimitsMustBePositive() throws {
        for (command, limit) in [("print", "--duration"), ("print", "--count"), ("save", "--duration"), ("save", "--count")] {
            let extra = command == "save" ? ["-o", NSTemporaryDirectory() + "never-written.pcap"] : []
            let run = try HepscopeRun.run([command, limit, "0"] + extra + ["udp://127.0.0.1:9"])
            #expect(run.status == 64, "\(command) \(limit)")
            #expect(run.stderr.contains("\(limit) must be positive"), "\(command) \(limit): \(run.stderr)")
        }
    }

    @Test func aPortInUseIsReportedAndTheRunFails() throws {
        let port = Self.freePort()
        let blocker = try #require(Self.bindLoopback(port))
        defer { close(blocker) }
        let run = try HepscopeRun.run(["print", "--duration", "1", "udp://127.0.0.1:\(port)"])
        #expect(run.status == 2)
        #expect(run.stderr == "hepscope: udp://127.0.0.1:\(port): cannot listen: Address already in use\n", "\(run.stderr)")
        // Beside a listener that works: said at once, the run goes on, and it still fails.
        let other = Self.freePort()
        let both = try HepscopeRun.run(["print", "--summary", "--duration", "1", "udp://127.0.0.1:\(port)", "tcp://127.0.0.1:\(other)"])
        #expect(both.status == 2)
        #expect(both.stderr == "hepscope: udp://127.0.0.1:\(port): cannot listen: Address already in use (going on with the other sources)\n",
                "\(both.stderr)")
        #expect(both.stdout.contains("source tcp://127.0.0.1:\(other): 0 packets"), "\(both.stdout)")
    }
}

@Suite struct DefaultListenerTests {
    static var port9060Free: Bool {
        for type in [SOCK_DGRAM, SOCK_STREAM] {
            guard let fd = LiveCommandTests.bindLoopback(9060, type: type) else { return false }
            close(fd)
        }
        return true
    }

    @Test(.enabled(if: port9060Free, "something already listens on 127.0.0.1:9060"))
    func noSourceListensOnLoopback9060() throws {
        let run = try HepscopeRun.run(["print", "--json", "--duration", "1"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("{\"name\":\"udp://127.0.0.1:9060\",\"format\":\"listener\""))
        #expect(run.stdout.contains("{\"name\":\"tcp://127.0.0.1:9060\",\"format\":\"listener\""))
    }
}
