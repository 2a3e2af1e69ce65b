@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// The viewer's loader reads a gzip capture while it inflates on another thread: the model is
/// the same as from the plain file, and a file cut or damaged part way loads what inflated and
/// says why it stopped.
@Suite struct GzipLoadTests {
    static let plain = Fixtures.kamailio("hep-kamailio-udp.pcap")

    func summary(_ store: TraceStore) -> [String] {
        store.orderedGroups.map { g in
            let group = store.groups[g]
            return "\(store.correlationID(of: group) ?? "-") calls=\(group.calls.count) msgs=\(group.messageCount) "
                + "answered=\(group.statistics.answered) failed=\(group.statistics.failed)"
        }
    }

    func file(_ bytes: [UInt8]) throws -> URL {
        let url = URL(fileURLWithPath: TestFolder.path("gzip.pcap.gz"))
        try Data(bytes).write(to: url)
        return url
    }

    /// Loads `path` as the viewer does and returns the session once the loader has finished.
    func backgroundLoad(_ path: String) -> (TraceSession, Int) {
        let queue = IngestQueue()
        var session = TraceSession()
        let source = session.addSource(name: path, kind: .file)
        BackgroundLoader.load(path: path, source: source, queue: queue)
        session.apply(queue.drain())
        return (session, source)
    }

    @Test func gzipCaptureGivesTheSameModelAsThePlainFile() throws {
        let url = try file(try Fixtures.gzipped(Self.plain))
        defer { try? FileManager.default.removeItem(at: url) }
        let (session, s) = backgroundLoad(url.path)
        #expect(session.sources[s].failure == nil)
        #expect(session.sources[s].report?.format == "pcap.gz")
        #expect(session.sources[s].report?.warnings == [])
        #expect(session.sources[s].progress == 1.0)
        #expect(session.sources[s].counters.sipMessages == 280)
        var direct = TraceLoad()
        direct.load(path: Self.plain.path)
        #expect(summary(session.store) == summary(direct.store))
        // Payloads point into the inflated file, not into copies.
        #expect(session.store.messages.allSatisfy { $0.payload.source == 1 })
    }

    @Test func inflatingInputEndsWithEveryByte() throws {
        let plain = try Fixtures.bytes(Self.plain)
        let url = try file(try Fixtures.gzipped(Self.plain))
        defer { try? FileManager.default.removeItem(at: url) }
        let input = try InputBytes.open(url.path, whileInflating: true)
        #expect(input.wasCompressed)
        #expect(input.isFileBacked)
        var available = input.waitForMore(than: 0)
        #expect(available.bytes.count > 0)
        while !available.complete { available = input.waitForMore(than: available.bytes.count) }
        #expect(available.failure == nil)
        #expect([UInt8](available.bytes) == plain)
        #expect(input.count == plain.count)
        #expect(input.expectedCount == plain.count)
    }

    @Test func gzipCutPartWayLoadsWhatInflatedAndSaysSo() throws {
        let gz = try Fixtures.gzipped(Self.plain)
        let url = try file(Array(gz.prefix(gz.count * 6 / 10)))
        defer { try? FileManager.default.removeItem(at: url) }
        let (session, s) = backgroundLoad(url.path)
        #expect(session.sources[s].failure == nil)
        let messages = session.sources[s].counters.sipMessages
        #expect(messages > 50 && messages < 280)
        let warnings = session.sources[s].report?.warnings ?? []
        #expect(warnings.contains { $0.contains("gzip data truncated") })
    }

    /// A gzip input read whole (standard input, a pipe) and cut part way says so too.
    @Test func gzipCutPartWayFromAPipeSaysSo() throws {
        let gz = try Fixtures.gzipped(Self.plain)
        let input = try InputBytes.wrapping(Array(gz.prefix(gz.count * 6 / 10)), name: "stdin")
        let available = input.waitForMore(than: 0)
        let whole = try Data(contentsOf: Self.plain).count
        #expect(available.complete && available.bytes.count > 0 && available.bytes.count < whole)
        #expect(available.failure == "stdin: gzip data truncated")
        #expect(try InputBytes.wrapping(gz, name: "stdin").waitForMore(than: 0).failure == nil)
    }

    @Test func gzipDamagedFromTheStartIsAClearFailure() throws {
        var gz = try Fixtures.gzipped(Self.plain)
        for i in 10..<min(gz.count, 200) { gz[i] ^= 0x5a }
        let url = try file(gz)
        defer { try? FileManager.default.removeItem(at: url) }
        let (session, s) = backgroundLoad(url.path)
        let failure = session.sources[s].failure ?? ""
        #expect(failure.contains("corrupt gzip data") && failure.contains("before any content"))
        #expect(session.store.messages.isEmpty)
    }

    /// Damage a little way in: what inflated before it is good and loads (gunzip writes it out
    /// too), with a warning, whether the file is mapped, read by `print`, or came down a pipe.
    @Test func gzipDamagedEarlyLoadsWhatCameBeforeTheDamage() throws {
        var gz = try Fixtures.gzipped(Self.plain)
        for i in 2000..<2050 { gz[i] ^= 0x5a }
        let url = try file(gz)
        defer { try? FileManager.default.removeItem(at: url) }
        let (session, s) = backgroundLoad(url.path)
        #expect(session.sources[s].failure == nil)
        let messages = session.store.messages.count
        #expect(messages > 5 && messages < 280, "\(messages)")
        #expect(session.sources[s].report?.warnings.contains { $0.contains("corrupt gzip data") } == true)
        var load = TraceLoad()
        load.load(path: url.path)
        #expect(load.failures.isEmpty && load.store.messages.count == messages)
        let piped = try InputBytes.wrapping(gz, name: "stdin").waitForMore(than: 0)
        #expect(piped.bytes.count > 2000 && piped.failure?.contains("corrupt gzip data") == true)
    }

    /// `print` loads the same way (TraceLoad, decoding on one thread and indexing on another).
    @Test func printLoadOfACutOrDamagedGzipFile() throws {
        let gz = try Fixtures.gzipped(Self.plain)
        let cut = try file(Array(gz.prefix(gz.count * 6 / 10)))
        var damaged = gz
        for i in 10..<min(gz.count, 200) { damaged[i] ^= 0x5a }
        let bad = try file(damaged)
        defer {
            try? FileManager.default.removeItem(at: cut)
            try? FileManager.default.removeItem(at: bad)
        }
        var load = TraceLoad()
        load.load(path: cut.path)
        #expect(load.failures.isEmpty)
        #expect(load.store.messages.count > 50 && load.store.messages.count < 280)
        #expect(load.warnings.contains { $0.contains("gzip data truncated") })
        load.load(path: bad.path)
        #expect(load.failures.count == 1)
        #expect(load.failures.first?.contains("corrupt gzip data") == true)
    }
}

/// Inflating into a temporary file never fills the disk: a gzip file that inflates without end,
/// by mistake or by malice, stops (or goes on in memory) while there is still room. The room
/// left is told to the code under test, so nothing here depends on this machine's disk.
@Suite struct SpoolRoomTests {
    static let plain = Fixtures.kamailio("hep-kamailio-udp.pcap")
    static let plenty: @Sendable (Int32) -> Int? = { _ in Int.max / 2 }

    /// The gzip bytes as they are, not inflated.
    func compressed() throws -> InputBytes {
        InputBytes(name: "x.gz", owned: try Fixtures.gzipped(Self.plain), compressed: false)
    }

    /// Answers `first` to the first question about room, `then` to every later one.
    final class Room: @unchecked Sendable {
        private let lock = NSLock()
        private var asked = 0
        let first: Int, then: Int
        init(first: Int, then: Int) { (self.first, self.then) = (first, then) }
        func left(_ fd: Int32) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            asked += 1
            return asked == 1 ? first : then
        }
    }

    @Test func spoolGoesOnInMemoryWhenTheDiskIsNearlyFull() throws {
        let plain = try Fixtures.bytes(Self.plain)
        var spool = SpoolFile(directories: [NSTemporaryDirectory()], room: { _ in 0 })
        plain.withUnsafeBytes { spool.append($0) }
        let fileBacked = spool.isFileBacked
        #expect(!fileBacked)
        let input = try spool.finish(name: "x", compressed: false)
        #expect(!input.isFileBacked)
        #expect(input.withBytes { [UInt8]($0) } == plain)
    }

    @Test func gzipTooBigForTheDiskIsNotInflatedIntoIt() throws {
        // Room for the file itself but not for the step between two looks at the disk.
        #expect(GrowingGunzip.start(try compressed(), name: "x.gz", directories: [NSTemporaryDirectory()],
                                    room: { _ in SpoolFile.roomCheckStep }) == nil)
    }

    @Test func inflatingStopsWhenTheDiskFillsMeanwhile() throws {
        let room = Room(first: Int.max / 2, then: 0)
        let g = try #require(GrowingGunzip.start(try compressed(), name: "x.gz", directories: [NSTemporaryDirectory()],
                                                  room: room.left))
        let state = g.wait(forMoreThan: Int.max - 1)
        #expect(state.complete)
        #expect(state.available == 0)
        #expect(state.failure?.contains("nearly full") == true)
        #expect(state.failure?.contains("TMPDIR") == true)
    }

    @Test func withRoomTheWholeFileInflates() throws {
        let g = try #require(GrowingGunzip.start(try compressed(), name: "x.gz", directories: [NSTemporaryDirectory()],
                                                  room: Self.plenty))
        let state = g.wait(forMoreThan: Int.max - 1)
        #expect(state.complete && state.failure == nil)
        #expect([UInt8](UnsafeRawBufferPointer(start: g.base, count: state.available)) == (try Fixtures.bytes(Self.plain)))
    }

    /// The loaders' reader takes frames from the part inflated so far, then waits for the rest:
    /// inflating is held after 64 KiB until the reader has caught up.
    @Test func framesAreReadWhileTheRestInflates() throws {
        let g = try #require(GrowingGunzip.start(try compressed(), name: "x.gz", directories: [NSTemporaryDirectory()],
                                                  room: Self.plenty, pauseAfter: 64 << 10))
        var frames = try InputFrames(InputBytes(name: "x.gz", growth: g))
        #expect(!frames.available.complete)
        var read = 0
        var readBeforeWaiting: Int?
        while frames.next(beforeWaiting: { _, _ in
            if readBeforeWaiting == nil { readBeforeWaiting = read }
            g.resume()
        }) != nil {
            read += 1
        }
        let plain = try Fixtures.bytes(Self.plain)
        let frameCount = try plain.withUnsafeBytes { b in
            var reader = try CaptureFileReader(b)
            var n = 0
            while reader.next() != nil { n += 1 }
            return n
        }
        #expect(read == frameCount)
        #expect((readBeforeWaiting ?? 0) > 0)
        #expect((readBeforeWaiting ?? .max) < read)
        #expect(frames.warnings.isEmpty)
    }
}
