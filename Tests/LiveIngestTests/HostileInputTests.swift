import CaptureIngest
import Foundation
import LiveIngest
import Testing
import TestSupport
import TraceModel
import WireDecoding

#if canImport(Glibc)
import Glibc
#endif

/// Bad senders are counted and cut off; good senders keep being served.
@Suite(.serialized) struct HostileInputTests {
    @Test func damagedDatagramsAreCountedAndTheRestGetsThrough() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let good = try Fixtures.rawHEPPackets()
        var bad: [[UInt8]] = []
        bad.append(Array(good[0].prefix(40)))                      // truncated
        var past = good[1]; past[10] = 0xff; past[11] = 0xff; bad.append(past)   // chunk length past the packet
        var zero = good[2]; zero[10] = 0; zero[11] = 0; bad.append(zero)         // zero-length chunk
        bad.append([UInt8](repeating: 0x41, count: 1200))           // not HEP at all
        bad.append([])                                              // empty datagram
        Net.sendUDP(bad + Array(good.prefix(20)), port: port)
        #expect(h.pump { $0.sources[source].counters.packets >= bad.count + 20 })
        await h.stop()
        let c = h.session.sources[source].counters
        #expect(c.malformed == bad.count)
        #expect(c.malformedReasons["HEP3 chunk runs past packet"] == 1)
        #expect(c.malformedReasons["HEP3 chunk length below 6"] == 1)
        #expect(c.malformedReasons["not a HEP packet"] == 2)
        #expect(h.session.store.messages.count == 20)
    }

    @Test func stalledAndGarbageConnectionsDoNotHurtOthers() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .tcp(host: "127.0.0.1", port: $0) }, name: "tcp")
        let good = try Fixtures.rawHEPPackets()
        // A peer that sends half a header and stalls.
        let stalled = Net.connectTCP(port)
        Net.sendAll(stalled, [0x48, 0x45, 0x50])
        // A peer that sends 64 KiB of garbage.
        let garbage = Net.connectTCP(port)
        var rng = SystemRandomNumberGenerator()
        Net.sendAll(garbage, (0..<65536).map { _ in UInt8.random(in: 0...255, using: &rng) })
        // A peer that announces 65535 bytes and sends a few.
        let liar = Net.connectTCP(port)
        Net.sendAll(liar, Array(good[0].prefix(6)) + [1, 2, 3])
        var liarHeader = good[0]
        liarHeader[4] = 0xff; liarHeader[5] = 0xff
        Net.sendAll(liar, Array(liarHeader.prefix(50)))
        // Meanwhile a good sender gets everything through.
        let ok = Net.connectTCP(port)
        Net.sendAll(ok, good.prefix(100).flatMap { $0 })
        // The accept count travels with the listener's statistics, which may trail the messages.
        #expect(h.pump {
            $0.store.messages.count >= 100 && $0.sources[source].counters.malformed >= 1
                && $0.sources[source].counters.connectionsAccepted >= 4
        })
        #expect(h.session.store.messages.count == 100)
        let during = h.session.sources[source].counters
        #expect(during.malformedReasons["HEP stream out of sync"] == 1)  // the garbage connection, closed
        #expect(during.connectionsAccepted == 4)
        close(stalled); close(liar); close(ok); close(garbage)
        #expect(h.pump { $0.sources[source].counters.connectionsOpen == 0 })
        await h.stop()
        let after = h.session.sources[source].counters
        #expect(after.malformedReasons["connection closed inside a HEP message"] == 2)  // stalled and liar
    }
}

@Suite(.serialized) struct ConnectionAbuseTests {
    /// A model that does not keep up (here: nobody takes from the queue for a while) costs at
    /// most the backlog limit plus one batch; the rest is dropped and counted.
    @Test func backlogIsBoundedWhenTheModelFallsBehind() async throws {
        let limit = 64 << 10
        let h = try LiveHarness(options: .init(backlogBytes: limit))
        let (source, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let good = try Fixtures.rawHEPPackets()
        let sent = 10 * good.count
        for _ in 0..<10 { Net.sendUDP(good, port: port) }
        var waited = 0
        while waited < 100, h.queue.pendingCount == 0 || h.queue.pendingBytes < limit { usleep(20_000); waited += 1 }
        usleep(300_000)  // the listener has read everything by now
        #expect(h.queue.pendingBytes > limit / 2)
        #expect(h.queue.pendingBytes < limit + (1 << 20), "\(h.queue.pendingBytes) bytes waiting")
        #expect(h.pump { $0.sources[source].counters.packets >= sent })
        await h.stop()
        let c = h.session.sources[source].counters
        let dropped = c.droppedReasons["viewer queue full"] ?? 0
        #expect(dropped > sent / 2)
        #expect(h.session.store.messages.count + h.session.store.counters.exactDuplicates + dropped == sent)
    }

    @Test func idleConnectionsAreClosedAndGoodSendersServed() async throws {
        let h = try LiveHarness(options: .init(maxConnections: 1000, idleTimeout: 1))
        let (source, port) = try await h.listen({ .tcp(host: "127.0.0.1", port: $0) }, name: "tcp")
        let idle = (0..<300).map { _ in Net.connectTCP(port) }
        let good = try Fixtures.rawHEPPackets()
        let ok = Net.connectTCP(port)
        Net.sendAll(ok, good.prefix(50).flatMap { $0 })
        #expect(h.pump { $0.store.messages.count >= 50 })
        // The idle ones (and, once quiet, the good one) are closed after the timeout.
        #expect(h.pump(seconds: 10) { $0.sources[source].counters.connectionsOpen == 0 && $0.sources[source].counters.connectionsAccepted == 301 })
        let c = h.session.sources[source].counters
        #expect(c.droppedReasons["idle connection closed"] == 301)
        #expect(c.malformed == 0)
        idle.forEach { close($0) }
        close(ok)
        await h.stop()
    }

    @Test func connectionsPastTheLimitAreRefused() async throws {
        let h = try LiveHarness(options: .init(maxConnections: 20, idleTimeout: 30))
        let (source, port) = try await h.listen({ .tcp(host: "127.0.0.1", port: $0) }, name: "tcp")
        let ok = Net.connectTCP(port)
        #expect(h.pump { $0.sources[source].counters.connectionsOpen == 1 })
        let crowd = (0..<30).map { _ in Net.connectTCP(port) }
        #expect(h.pump { $0.sources[source].counters.droppedReasons["connection limit reached"] ?? 0 >= 11 })
        let good = try Fixtures.rawHEPPackets()
        Net.sendAll(ok, good.prefix(20).flatMap { $0 })
        #expect(h.pump { $0.store.messages.count >= 20 })
        let c = h.session.sources[source].counters
        #expect(c.connectionsOpen <= 20)
        #expect(c.droppedReasons["connection limit reached"] == 11)
        crowd.forEach { close($0) }
        close(ok)
        await h.stop()
    }

    @Test func tlsHandshakesThatNeverFinishTimeOut() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-tls-idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("c.pem").path, key = dir.appendingPathComponent("k.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=x"]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        let h = try LiveHarness(options: .init(idleTimeout: 1))
        let (source, port) = try await h.listen({ .tls(host: "127.0.0.1", port: $0, certificate: cert, key: key) }, name: "tls")
        let stuck = (0..<20).map { _ in Net.connectTCP(port) }
        Net.sendAll(stuck[0], [0x16, 0x03, 0x01, 0x00])  // the start of a ClientHello, then nothing
        #expect(h.pump(seconds: 10) { $0.sources[source].counters.droppedReasons["idle connection closed"] == 20 })
        #expect(h.session.sources[source].counters.connectionsOpen == 0)
        stuck.forEach { close($0) }
        await h.stop()
        // Each is one drop, nothing else: a handshake cut short by the listener's own close is
        // no malformed data from the peer.
        #expect(h.session.sources[source].counters.malformed == 0)
    }
}
