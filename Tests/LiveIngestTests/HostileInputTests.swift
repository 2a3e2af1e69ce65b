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
        #expect(h.pump { $0.store.messages.count >= 100 && $0.sources[source].counters.malformed >= 1 })
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
