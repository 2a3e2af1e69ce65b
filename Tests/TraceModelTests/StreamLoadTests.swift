import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// A capture arriving through a pipe in small pieces is decoded as it comes.
@Suite struct StreamLoadTests {
    func calls(_ store: TraceStore) -> [String] {
        store.calls.map { store.strings.string($0.callID) + " \($0.state.name) \($0.messageCount)" }.sorted()
    }

    @Test(arguments: ["hep-kamailio-udp.pcap", "sip-plain-tcp.pcap"])
    func pipeInSmallPiecesGivesTheSameModel(file: String) throws {
        let bytes = try Fixtures.bytes(Fixtures.kamailio(file))
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let queue = IngestQueue()
        var session = TraceSession()
        let source = session.addSource(name: "stdin", kind: .file)
        StreamLoader.start(fd: fds[0], name: "stdin", source: source, queue: queue)
        // Write in uneven pieces with pauses, as tcpdump would.
        var off = 0
        var piece = 1
        var sawDataBeforeEnd = false
        while off < bytes.count {
            let n = min(piece, bytes.count - off)
            _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress! + off, n) }
            off += n
            piece = piece * 3 % 7919 + 13
            if off > bytes.count / 2, !sawDataBeforeEnd {
                usleep(50_000)
                session.apply(queue.drain())
                sawDataBeforeEnd = session.store.messages.count > 0
            }
        }
        close(fds[1])
        var rounds = 0
        while !session.sources[source].finished, rounds < 300 {
            queue.wait(timeoutMilliseconds: 20)
            session.apply(queue.drain())
            rounds += 1
        }
        #expect(sawDataBeforeEnd)  // messages were there before the writer finished
        var direct = TraceLoad()
        direct.load(path: Fixtures.kamailio(file).path)
        #expect(calls(session.store) == calls(direct.store))
        #expect(session.sources[source].report?.warnings.isEmpty == true)
    }

    /// A FIFO with no writer yet: starting it returns at once (its open waits on the reading
    /// thread, not on the caller's, which draws the screen and starts the other sources), and
    /// what a writer then sends is loaded.
    @Test func aFIFOWithoutAWriterDoesNotHoldUpItsCaller() throws {
        let path = TestFolder.path("waiting-\(UUID().uuidString).fifo")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let queue = IngestQueue()
        var session = TraceSession()
        let source = session.addSource(name: path, kind: .file)
        let started = DispatchSemaphore(value: 0)
        Thread {
            StreamLoader.start(path: path, source: source, queue: queue)
            started.signal()
        }.start()
        let returned = started.wait(timeout: .now() + 2) == .success
        // Now a writer: the capture goes through (and a start still blocked would return).
        let bytes = try Fixtures.bytes(Fixtures.kamailio("hep-kamailio-udp.pcap"))
        let writer = open(path, O_WRONLY)
        #expect(writer >= 0)
        _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        close(writer)
        #expect(returned, "starting a FIFO waited for its writer")
        var rounds = 0
        while !session.sources[source].finished, rounds < 300 {
            queue.wait(timeoutMilliseconds: 20)
            session.apply(queue.drain())
            rounds += 1
        }
        #expect(session.store.messages.count == 280)
    }

    @Test func notACaptureOnAPipeFails() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        let text = Array("hello, this is not a capture\n".utf8)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let queue = IngestQueue()
        var session = TraceSession()
        let s = session.addSource(name: "stdin", kind: .file)
        StreamLoader.run(fd: fds[0], name: "stdin", source: s, queue: queue)
        session.apply(queue.drain())
        #expect(session.sources[s].failure?.contains("not a pcap or pcapng file") == true)
    }
}
