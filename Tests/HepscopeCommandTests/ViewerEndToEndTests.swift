import Benchmarking
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// The real binary in a real terminal: tmux runs `hepscope`, keys go in with send-keys, and
/// the screen comes back as text with capture-pane. LANG, TERM and TZ are pinned.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"))
struct ViewerEndToEndTests {
    static let capture = Fixtures.kamailio("hep-kamailio-udp.pcap").path

    /// What the issue's "done when" asks, in 80x24 with the keyboard only: both test sessions,
    /// the busy session's calls, a busy call's ladder with its 486, the raw 486, quit.
    @Test func doneWhenWalkThroughIn80x24() throws {
        let tmux = try TmuxSession(width: 80, height: 24, arguments: [Self.capture])
        defer { tmux.kill() }
        var screen = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        #expect(screen.contains("tb-20261127T015517Z-udp-a"))
        #expect(screen.contains("Test sessions (2)"))

        tmux.send("j", "Enter")
        screen = try tmux.waitFor("Calls of tb-20261127T015517Z-udp-b")
        #expect(screen.contains("busy 486"))

        // The second call of the busy session is a busy one: down once, open its ladder.
        tmux.send("j", "Enter")
        screen = try tmux.waitFor("Ladder of udp-busy-1-642@127.0.0.1")
        #expect(screen.contains("486 Busy Here"))
        #expect(screen.contains("INVITE"))
        #expect(screen.contains("180 Ringing"))

        // INVITE, 100, 180, 486: down three times, open the message.
        tmux.send("j", "j", "j", "Enter")
        screen = try tmux.waitFor("SIP/2.0 486 Busy Here")
        #expect(screen.contains("Correlation tb-20261127T015517Z-udp-b"))
        #expect(screen.contains("Call-ID: udp-busy-1-642@127.0.0.1"))

        tmux.send("q", "q", "q", "q")
        try tmux.waitForExit()
    }

    @Test func filterAndSearchIn120x40() throws {
        let tmux = try TmuxSession(width: 120, height: 40, arguments: [Self.capture])
        defer { tmux.kill() }
        _ = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        tmux.send("f")
        tmux.type("state:busy")
        tmux.send("Enter")
        var screen = try tmux.waitFor("[filter: state:busy]")
        #expect(screen.contains("Test sessions (1)"))
        #expect(!screen.contains("udp-a"))
        tmux.send("a")
        screen = try tmux.waitUntil("ten busy calls") { $0.contains("All calls") && $0.components(separatedBy: "busy 486").count - 1 == 10 }
        #expect(screen.components(separatedBy: "busy 486").count - 1 == 10)
        #expect(!screen.contains("completed"))

        // A mistake: the prompt stays open and says where.
        tmux.send("f", "C-u")
        tmux.type("status:99")
        tmux.send("Enter")
        screen = try tmux.waitFor("column 8: expected a status code")
        tmux.send("Escape")

        // Search on the call list, then clear everything with F9.
        tmux.type("/busy-7")
        tmux.send("Enter", "Enter")
        screen = try tmux.waitFor("Ladder of udp-busy-7-642@127.0.0.1")
        // Esc alone, then F9: sent together they would read as one escape sequence.
        tmux.send("Escape")
        _ = try tmux.waitFor("All calls")
        tmux.send("F9", "g")
        screen = try tmux.waitFor("udp-reinv-1-643")
        #expect(!screen.contains("[filter:"))
        tmux.send("?")
        screen = try tmux.waitFor("Keys (j/k scroll")
        tmux.send("x", "q", "q")
        try tmux.waitForExit()
    }

    /// The save dialog writes the call under the cursor where the name says (~ is the home
    /// folder), and asks before it replaces a file.
    @Test func saveDialogWritesTheCallUnderTheCursor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-ui-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("busy-3.pcapng").path
        // The name is typed as in a shell, from the home folder; the notice says where it went.
        let tmux = try TmuxSession(width: 120, height: 40, arguments: [Self.capture], extraEnvironment: ["HOME=\(dir.path)"])
        defer { tmux.kill() }
        _ = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        tmux.send("j", "Enter")
        _ = try tmux.waitFor("Calls of tb-20261127T015517Z-udp-b")
        tmux.type("/busy-3")
        tmux.send("Enter")
        _ = try tmux.waitFor("[search: busy-3]")
        func saveUnderTheCursor(waitingFor answer: String) throws {
            tmux.send("F2")
            _ = try tmux.waitFor("What:   ◀ the call under the cursor (4 messages) ▶")
            tmux.send("C-u")
            tmux.type("~/busy-3.pcapng")
            tmux.send("Enter")
            _ = try tmux.waitFor(answer)
        }
        try saveUnderTheCursor(waitingFor: "saved 4 messages to \(out)")
        // Saving again under the same name asks first; Enter again replaces the file.
        try FileManager.default.removeItem(atPath: out)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        try saveUnderTheCursor(waitingFor: "exists: Enter replaces it")
        #expect(FileManager.default.contents(atPath: out) == Data("keep".utf8))
        tmux.send("Enter")
        _ = try tmux.waitFor("saved 4 messages to \(out)")
        // What was saved opens as that one busy call, in its session, with its correlation id.
        let reopened = try HepscopeRun.run(["print", "--summary", out])
        #expect(reopened.stdout.contains("tb-20261127T015517Z-udp-b  hep         1       0         0       1"))
        tmux.send("q", "q")
        try tmux.waitForExit()
    }

    /// Control sequences inside packets never reach the terminal: the pane still shows the
    /// viewer (no clear-screen took effect) and the sequences appear as visible escapes.
    @Test func hostileBytesStayVisibleInTheTerminal() throws {
        let url = try TerminalSafetyTests.hostileCapture()
        let tmux = try TmuxSession(width: 120, height: 40, arguments: [url.path])
        defer { tmux.kill() }
        _ = try tmux.waitFor("Test sessions")
        tmux.send("Enter")
        var screen = try tmux.waitFor("Calls of")
        #expect(screen.contains("\\e[2J"))
        tmux.send("Enter")
        _ = try tmux.waitFor("Ladder of")
        tmux.send("Enter")
        screen = try tmux.waitFor("Message:")
        #expect(screen.contains("\\e]52;c;ZXZpbA=="))
        #expect(screen.contains("\\u{202e}"))
        #expect(screen.hasPrefix(" hepscope"))  // the title row is still the first line
        // What tmux received, with its styles: only SGR sequences, nothing else.
        let styled = (try? tmux.run(["capture-pane", "-e", "-p", "-t", "0"])) ?? ""
        for sequence in styled.split(separator: "\u{1b}").dropFirst() {
            #expect(sequence.hasPrefix("["), "a non-CSI escape reached the terminal: \(sequence.prefix(8))")
            let body = sequence.dropFirst().prefix { $0 != "m" }
            #expect(body.allSatisfy { $0.isNumber || $0 == ";" }, "a CSI other than SGR: \(sequence.prefix(12))")
        }
        tmux.send("q", "q", "q", "q")
        try tmux.waitForExit()
    }

    @Test func asciiWhenTheLocaleIsNotUTF8() throws {
        let tmux = try TmuxSession(width: 100, height: 30, arguments: [Self.capture], lang: "C")
        defer { tmux.kill() }
        _ = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        tmux.send("Enter", "Enter")
        let screen = try tmux.waitFor("INVITE")
        #expect(screen.contains("|-"))
        #expect(!screen.contains("│"))
        tmux.send("Q")
        try tmux.waitForExit()
    }

    /// The window shrinks to 80x24 and grows again: the screen follows at once, the cursor
    /// stays on its call.
    @Test func resizeRedrawsAtTheNewSize() throws {
        let tmux = try TmuxSession(width: 120, height: 40, arguments: [Self.capture])
        defer { tmux.kill() }
        _ = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        tmux.type("a/busy-4")
        tmux.send("Enter")
        _ = try tmux.waitFor("Duration")
        _ = try tmux.run(["resize-window", "-t", "0", "-x", "80", "-y", "24"])
        var screen = try tmux.waitFor("Call-ID")
        #expect(!screen.contains("Duration"))
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(screen.contains("udp-busy-4-642"))
        _ = try tmux.run(["resize-window", "-t", "0", "-x", "160", "-y", "40"])
        screen = try tmux.waitFor("Src → Dst")
        #expect(screen.contains("udp-busy-4-642@127.0.0.1"))
        tmux.send("Q")
        try tmux.waitForExit()
    }

    /// NO_COLOR: no colour at all, and the cursor row and bars still stand out (reverse).
    @Test func noColorMeansMonochrome() throws {
        let tmux = try TmuxSession(width: 100, height: 30, arguments: [Self.capture], extraEnvironment: ["NO_COLOR=1"])
        defer { tmux.kill() }
        _ = try tmux.waitFor("tb-20261127T015517Z-udp-b")
        let styled = try tmux.run(["capture-pane", "-e", "-p", "-t", "0"])
        #expect(styled.contains("\u{1b}[7m"))
        // Every SGR parameter that sets a colour (39 and 49, back to the default, are fine).
        var colours: [Int] = []
        for sequence in styled.split(separator: "\u{1b}").dropFirst() where sequence.hasPrefix("[") {
            guard let m = sequence.firstIndex(of: "m") else { continue }
            let parameters = sequence[sequence.index(after: sequence.startIndex)..<m].split(separator: ";").compactMap { Int($0) }
            colours += parameters.filter { (30...38).contains($0) || (40...48).contains($0) || (90...107).contains($0) }
        }
        #expect(colours.isEmpty, "colour codes in \(styled.debugDescription.prefix(400))")
        tmux.send("q")
        try tmux.waitForExit()
    }

    /// `hepscope --demo` replays the bundled Kamailio session live.
    @Test func demoReplaysTheBundledSession() throws {
        let tmux = try TmuxSession(width: 120, height: 40, arguments: ["--demo"])
        defer { tmux.kill() }
        let screen = try tmux.waitFor("tb-20261127T015517Z-udp-b", timeout: 20)
        #expect(screen.contains("demo: hep-kamailio-udp.pcap"))
        // The whole recording is about three seconds long; then all 280 messages are in.
        _ = try tmux.waitFor("demo: hep-kamailio-udp.pcap: 280 rx", timeout: 20)
        tmux.send("q")
        try tmux.waitForExit()
    }

    // A listener on a loopback port in tmux, fed by ../shared/tools/hep-replay.py with the
    // recorded Kamailio HEP, following (F): both correlation ids appear and "rx" reaches 280.
    // The screen's thread runs below the listeners' priority, they keep theirs.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path), "../shared/tools/hep-replay.py is absent"))
    func liveRunFedByHepReplay() throws {
        let port = LiveCommandTests.freePort()
        let tmux = try TmuxSession(width: 120, height: 40, arguments: ["udp://127.0.0.1:\(port)"])
        defer { tmux.kill() }
        _ = try tmux.waitFor("udp://127.0.0.1:\(port): 0 rx")
        let pid = Int32(try tmux.run(["display-message", "-p", "-t", "0", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let nice = Self.threadNiceValues(pid)
        let base = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #expect(nice[pid] == min(base + 4, 19), "screen thread: \(nice)")
        #expect(nice.filter { $0.key != pid }.values.contains(base), "listener threads: \(nice)")
        tmux.send("F")  // follow the newest session as data arrives
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        replay.arguments = ["python3", replayTool.path, Fixtures.kamailio("hep-raw-udp.bin").path,
                            "udp://127.0.0.1:\(port)", "--rate", "200"]
        replay.standardOutput = FileHandle.nullDevice
        try replay.run()
        // Sessions appear while the replay is still running (280 packets at 200/s: 1.4 s).
        let early = try tmux.waitFor("tb-20261127T015517Z-udp-a")
        #expect(replay.isRunning || early.contains("udp-b"))
        replay.waitUntilExit()
        let screen = try tmux.waitUntil("all 280 received") { $0.contains(": 280 rx") && $0.contains("tb-20261127T015517Z-udp-b") }
        #expect(screen.contains("Test sessions (2)"))
        // Nothing of it is recorded (no --write): q asks first, a second q quits.
        tmux.send("q")
        _ = try tmux.waitFor("quit? 280 messages received are not saved (w saves): q quits")
        tmux.send("q")
        try tmux.waitForExit()
    }

    /// What a FIFO delivered is gone when the viewer ends, as a listener's is: q asks first.
    @Test func quittingWithDataFromAFIFOAsks() throws {
        let fifo = TestFolder.path("live-\(UUID().uuidString).fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let tmux = try TmuxSession(width: 120, height: 40, arguments: [fifo])
        defer { tmux.kill() }
        let bytes = try Fixtures.bytes(Fixtures.kamailio("hep-kamailio-udp.pcap"))
        let writer = open(fifo, O_WRONLY)  // waits for the viewer to open it
        #expect(writer >= 0)
        _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        close(writer)
        _ = try tmux.waitFor("Test sessions (2)")
        tmux.send("q")
        _ = try tmux.waitFor("quit? 280 messages received are not saved (w saves): q quits")
        tmux.send("q")
        try tmux.waitForExit()
    }

    /// Everything received saved from the save dialog: q then quits at once, with nothing
    /// left to lose.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: replayTool.path), "../shared/tools/hep-replay.py is absent"))
    func quittingAfterSavingEverythingDoesNotAsk() throws {
        let port = LiveCommandTests.freePort()
        let out = TestFolder.path("everything-\(UUID().uuidString).pcap")
        let tmux = try TmuxSession(width: 120, height: 40, arguments: ["udp://127.0.0.1:\(port)"])
        defer { tmux.kill() }
        _ = try tmux.waitFor("udp://127.0.0.1:\(port): 0 rx")
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        replay.arguments = ["python3", replayTool.path, Fixtures.kamailio("hep-raw-udp.bin").path, "udp://127.0.0.1:\(port)", "--rate", "2000"]
        replay.standardOutput = FileHandle.nullDevice
        try replay.run()
        replay.waitUntilExit()
        _ = try tmux.waitUntil("all 280 received") { $0.contains(": 280 rx") && $0.contains("Test sessions (2)") }
        tmux.send("w")
        _ = try tmux.waitFor("What:")
        tmux.send("Right")  // from the session under the cursor to everything
        _ = try tmux.waitFor("all messages (280 messages)")
        tmux.send("C-u")
        tmux.type(out)
        tmux.send("Enter")
        _ = try tmux.waitFor("saved 280 messages")
        tmux.send("q")
        try tmux.waitForExit()
        #expect(FileManager.default.fileExists(atPath: out))
    }

    /// One of two listeners cannot bind (another program holds its port): the viewer says so
    /// at once, on screen and on that listener's place in the status line, while the other
    /// listener goes on.
    @Test func aListenerThatCannotBindIsShownWhileTheOthersRun() throws {
        let taken = LiveCommandTests.freePort(), free = LiveCommandTests.freePort()
        let blocker = try #require(LiveCommandTests.bindLoopback(taken))
        defer { close(blocker) }
        let tmux = try TmuxSession(width: 120, height: 40, arguments: ["udp://127.0.0.1:\(taken)", "tcp://127.0.0.1:\(free)"])
        defer { tmux.kill() }
        let screen = try tmux.waitFor("udp:\(taken): cannot listen: Address already in use")
        #expect(screen.contains("udp://127.0.0.1:\(taken): cannot listen: Address already in use"))
        #expect(screen.contains("tcp:\(free) 0 rx"))
        tmux.send("q")
        try tmux.waitForExit()
    }

    /// A live test session of one correlation id, too big for a small budget: the budget drops
    /// its calls that ended while the call list stays open on it, and the session list still
    /// counts every call.
    @Test func aSessionOverTheBudgetKeepsItsCallListOpen() throws {
        let port = LiveCommandTests.freePort()
        let tmux = try TmuxSession(width: 120, height: 40, arguments: ["--memory-limit", "2M", "udp://127.0.0.1:\(port)"])
        defer { tmux.kill() }
        _ = try tmux.waitFor("udp://127.0.0.1:\(port): 0 rx")
        nonisolated(unsafe) let replayer = try HEPReplayer(path: Fixtures.kamailio("hep-raw-udp.bin").path)
        nonisolated(unsafe) var sent = 0
        let done = DispatchSemaphore(value: 0)
        Thread {
            sent = (try? replayer.sendUDP(host: "127.0.0.1", port: port, rate: 5000, seconds: 6, loops: 1_000_000,
                                          uniqueCalls: true, correlation: "one-run"))?.packets ?? 0
            done.signal()
        }.start()
        _ = try tmux.waitFor("one-run")
        tmux.send("Enter")
        _ = try tmux.waitFor("Calls of one-run")
        // Calls are dropped while the list is open: the status line counts their messages.
        let during = try tmux.waitUntil("messages evicted by the budget", timeout: 15) { screen in
            screen.contains("Calls of one-run") && screen.contains("│ evicted ")
        }
        #expect(during.contains("│ dropped 0 │ evicted "), "\(during)")
        #expect(during.contains("memory budget: 0 session(s) and "), "\(during)")
        done.wait()
        let after = try tmux.waitUntil("all \(sent) received") { $0.contains(": \(Self.grouped(sent)) rx") }
        #expect(sent > 20_000)
        #expect(after.contains("Calls of one-run"), "\(after)")
        // Back on the session list, the row counts every call sent (40 in each 280 packets).
        tmux.send("Escape")
        // The receive count runs ahead of the batches still being folded in: wait for them.
        func callsOnRow(_ screen: String) -> Int {
            let row = screen.split(separator: "\n").first { $0.hasPrefix(" one-run") }.map(String.init) ?? ""
            return row.split(separator: " ").dropFirst().first.map { Int($0.replacingOccurrences(of: ",", with: "")) ?? 0 } ?? 0
        }
        let sessions = try tmux.waitUntil("every call counted") { $0.contains("Test sessions (1)") && callsOnRow($0) >= sent / 280 * 40 }
        let calls = callsOnRow(sessions)
        #expect(calls >= sent / 280 * 40 && calls <= (sent / 280 + 1) * 40, "\(sessions)")
        tmux.send("q", "q")
        try tmux.waitForExit()
    }

    /// A count as the status line writes it (thousands separated by commas).
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    /// Each thread's nice value, from /proc/PID/task/TID/stat (field 19, counted after the
    /// command name, which may hold spaces).
    static func threadNiceValues(_ pid: Int32) -> [Int32: Int32] {
        var result: [Int32: Int32] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for t in tasks {
            guard let tid = Int32(t), let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the name: state is field 3, so nice (19) is the 17th.
            if fields.count > 16, let n = Int32(fields[16]) { result[tid] = n }
        }
        return result
    }
}

/// A private tmux server (its own socket) running one hepscope in a detached session.
final class TmuxSession {
    static let tmux: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isAvailable: Bool { tmux != nil }
    nonisolated(unsafe) static var counter = 0

    let socket: String

    init(width: Int, height: Int, arguments: [String], lang: String = "C.UTF-8", extraEnvironment: [String] = []) throws {
        TmuxSession.counter += 1
        socket = "hepscope-test-\(ProcessInfo.processInfo.processIdentifier)-\(TmuxSession.counter)"
        let binary = HepscopeRun.binary.path
        let command = (["env", "LANG=\(lang)", "LC_ALL=\(lang)", "TERM=xterm-256color", "TZ=UTC"] + extraEnvironment + [binary] + arguments)
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        try run(["-f", "/dev/null", "new-session", "-d", "-x", String(width), "-y", String(height), command],
                readOutput: false)
    }

    /// Runs tmux and waits for it. posix_spawn and waitpid rather than Foundation's Process:
    /// the tmux server outlives the client that starts it, and Process then never sees the end.
    /// `readOutput: false` for commands that start the server: it would hold a pipe open forever.
    @discardableResult
    func run(_ arguments: [String], readOutput: Bool = true) throws -> String {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TmuxError.failed(arguments, -1) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if readOutput {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = [TmuxSession.tmux!, "-L", socket] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "TMUX" }.map { "\($0.key)=\($0.value)" }
        var cEnv = environment.map { strdup($0) } + [nil]
        defer { for e in cEnv { free(e) } }
        // The test runner's threads block most signals; tmux and hepscope must not inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, TmuxSession.tmux!, &actions, &attributes, &cArgs, &cEnv)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw TmuxError.failed(arguments, rc)
        }
        var output: [UInt8] = []
        if readOutput {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fds[0], &buffer, buffer.count)
                if n <= 0 { break }
                output += buffer[0..<n]
            }
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xff
        guard status & 0x7f == 0, exitCode == 0 else { throw TmuxError.failed(arguments, exitCode) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Keys by tmux name ("Enter", "Escape", "F9", "C-u") or single characters.
    func send(_ keys: String...) {
        _ = try? run(["send-keys", "-t", "0"] + keys)
    }

    /// Text typed literally.
    func type(_ text: String) {
        _ = try? run(["send-keys", "-t", "0", "-l", text])
    }

    func capture() -> String { (try? run(["capture-pane", "-p", "-t", "0"])) ?? "" }

    /// Polls the screen until `text` shows, or fails with what was on screen.
    @discardableResult
    /// Waits until the screen satisfies `condition` (the screen may be mid-redraw at first).
    func waitUntil(_ what: String, timeout: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = capture()
        while !condition(screen) {
            if Date() > deadline { throw TmuxError.timeout(what, screen) }
            usleep(50_000)
            screen = capture()
        }
        return screen
    }

    func waitFor(_ text: String, timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            if screen.contains(text) { return settled(screen) }
            usleep(50_000)
        }
        throw TmuxError.timeout(text, screen)
    }

    /// The screen once two captures in a row agree: a frame is written in pieces, and a busy
    /// machine can show the title of a new screen before its rows.
    func settled(_ first: String) -> String {
        var previous = first
        for _ in 0..<20 {
            usleep(40_000)
            let next = capture()
            if next == previous { return next }
            previous = next
        }
        return previous
    }

    /// Waits until hepscope has quit (its session then ends).
    func waitForExit(timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? run(["has-session", "-t", "0"])) == nil { return }
            usleep(50_000)
        }
        throw TmuxError.timeout("exit", capture())
    }

    func kill() { _ = try? run(["kill-server"]) }

    enum TmuxError: Error, CustomStringConvertible {
        case failed([String], Int32)
        case timeout(String, String)
        var description: String {
            switch self {
            case .failed(let a, let s): "tmux \(a.joined(separator: " ")) exited with \(s)"
            case .timeout(let t, let screen): "'\(t)' did not appear; the screen was:\n\(screen)"
            }
        }
    }
}
