import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel

/// Files loaded on another thread reach the model through the ingest queue, and give the same
/// model as a direct load.
@Suite struct BackgroundLoadTests {
    func summary(_ store: TraceStore) -> [String] {
        store.orderedGroups.map { g in
            let group = store.groups[g]
            return "\(store.correlationID(of: group) ?? "-") calls=\(group.calls.count) msgs=\(group.messageCount) "
                + "answered=\(group.statistics.answered) failed=\(group.statistics.failed)"
        }
    }

    @Test func threadedLoadMatchesDirectLoad() async throws {
        let path = Fixtures.kamailio("hep-kamailio-udp.pcap").path
        let queue = IngestQueue()
        var session = TraceSession()
        let source = session.addSource(name: path, kind: .file)
        BackgroundLoader.start(path: path, source: source, queue: queue)
        var rounds = 0
        while !(session.sources[source].finished) && rounds < 500 {
            queue.wait(timeoutMilliseconds: 20)
            session.apply(queue.drain())
            rounds += 1
        }
        #expect(session.sources[source].finished)
        #expect(session.sources[source].failure == nil)
        #expect(session.sources[source].progress == 1.0)
        #expect(session.sources[source].counters.sipMessages == 280)
        var direct = TraceLoad()
        direct.load(path: path)
        #expect(summary(session.store) == summary(direct.store))
        // Payloads point into the mapped file, not into copies.
        #expect(session.store.messages.allSatisfy { $0.payload.source == 1 })
    }

    @Test func failuresArriveAsEvents() {
        let queue = IngestQueue()
        var session = TraceSession()
        let s = session.addSource(name: "/nonexistent.pcap", kind: .file)
        BackgroundLoader.load(path: "/nonexistent.pcap", source: s, queue: queue)
        session.apply(queue.drain())
        #expect(session.sources[s].failure?.contains("No such file") == true)
        #expect(!session.isLoading)
    }
}

/// The viewer's loader gives the mapped file's pages back as it goes: a big capture must not
/// stay resident as a whole once it is indexed.
@Suite struct BackgroundLoadMemoryTests {
    /// Resident bytes of this process's mappings of `path`, from /proc/self/smaps.
    func residentBytes(ofMappingsOf path: String) throws -> Int {
        // Read to the end: /proc files report a size of 0, which some readers take at its word.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inMapping = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, line.contains("-") && !line.hasSuffix(" kB") {
                inMapping = line.hasSuffix(path)
            } else if inMapping, line.hasPrefix("Rss:") {
                total += (Int(line.split(separator: " ")[1]) ?? 0) * 1024
            }
        }
        return total
    }

    @Test func pagesAlreadyDecodedLeaveResidentMemory() throws {
        let fixture = Fixtures.kamailio("sip-plain-udp.pcap").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: fixture)[.size] as? Int)
        var copies: [String] = []
        defer { for c in copies { try? FileManager.default.removeItem(atPath: c) } }

        func load(releaseStep: Int) throws -> (session: TraceSession, resident: Int) {
            // A copy of its own each time: other loads in this process map the fixture too.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("release-\(getpid())-\(copies.count).pcap").path
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: fixture, toPath: path)
            copies.append(path)
            let queue = IngestQueue()
            var session = TraceSession()
            let source = session.addSource(name: path, kind: .file)
            BackgroundLoader.load(path: path, source: source, queue: queue, releaseStep: releaseStep)
            session.apply(queue.drain())
            #expect(session.sources[source].finished)
            #expect(session.sources[source].counters.sipMessages > 500)
            return (session, try residentBytes(ofMappingsOf: path))
        }
        // Never released: every page was read, so all of the file is resident.
        let kept = try load(releaseStep: .max)
        #expect(kept.resident >= size / 4096 * 4096)
        // Released as it goes: at most the few pages read back to compare payloads stay.
        let released = try load(releaseStep: 4096)
        #expect(released.resident < size / 2)
        // Nothing lost: the same messages, each payload still readable from the file.
        #expect(released.session.store.messages.count == kept.session.store.messages.count)
        let last = try #require(released.session.store.messages.last)
        let bytes = released.session.store.payload(of: last)
        #expect(!bytes.isEmpty)
        #expect(bytes == kept.session.store.payload(of: try #require(kept.session.store.messages.last)))
    }
}
