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

/// Listeners in this process on loopback ports, fed real Kamailio HEP.
@Suite(.serialized) struct ListenerTests {
    static let dump = Fixtures.kamailio("hep-raw-udp.bin")

    @Test(.enabled(if: Replay.available, "../shared/tools/hep-replay.py is absent"))
    func udpReplayOfKamailioMatchesTheTruth() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let out = try Replay.run(Self.dump, "udp://127.0.0.1:\(port)", extra: ["--rate", "5000"])
        #expect(out.contains("280"))
        #expect(h.pump { $0.store.messages.count >= 280 })
        await h.stop()
        #expect(TruthRows.model(h.session.store) == (try TruthRows.truth("hep-kamailio-udp.truth.json")))
        let c = h.session.sources[source].counters
        #expect(c.packets == 280 && c.hepByVersion[3] == 280 && c.malformed == 0 && c.dropped == 0)
    }

    @Test(.enabled(if: Replay.available, "../shared/tools/hep-replay.py is absent"))
    func tcpStreamOfKamailioMatchesTheTruth() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .tcp(host: "127.0.0.1", port: $0) }, name: "tcp")
        try Replay.run(Self.dump, "tcp://127.0.0.1:\(port)")
        #expect(h.pump { $0.store.messages.count >= 280 })
        await h.stop()
        #expect(TruthRows.model(h.session.store) == (try TruthRows.truth("hep-kamailio-udp.truth.json")))
        let c = h.session.sources[source].counters
        #expect(c.connectionsAccepted == 1 && c.connectionsOpen == 0 && c.malformed == 0)
    }

    @Test func tlsWithAThrowawayCertificate() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)

        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .tls(host: "127.0.0.1", port: $0, certificate: cert, key: key) }, name: "tls")
        // A TLS client sending the whole dump as one stream of HEP messages.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "-c", """
            import socket, ssl, struct, sys
            data = open(sys.argv[1], 'rb').read()
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[2]))))
            i = 0
            while i < len(data):
                n = struct.unpack('>I', data[i:i+4])[0]; s.sendall(data[i+4:i+4+n]); i += 4 + n
            s.close()
            """, Self.dump.path, String(port)]
        try client.run()
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        #expect(h.pump { $0.store.messages.count >= 280 })
        await h.stop()
        #expect(TruthRows.model(h.session.store) == (try TruthRows.truth("hep-kamailio-udp.truth.json")))
        #expect(h.session.sources[source].counters.malformed == 0)
    }

    @Test func hepKeyDropsPacketsWithTheWrongKey() async throws {
        let h = try LiveHarness(options: .init(hepKey: Array("secret".utf8)))
        let (source, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        var packets: [[UInt8]] = []
        for key in ["secret", "wrong", "secret"] {
            var b = HEPBuilder()
            b.chunk(3, [127, 0, 0, 1]); b.chunk(4, [127, 0, 0, 1]); b.chunk(7, [0x13, 0xc4]); b.chunk(8, [0x13, 0xc4])
            b.chunk(0x0e, Array(key.utf8))
            b.chunk(0x0f, Array("OPTIONS sip:a SIP/2.0\r\nCall-ID: k-\(packets.count)\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8))
            packets.append(b.packet())
        }
        Net.sendUDP(packets, port: port)
        #expect(h.pump { $0.sources[source].counters.packets >= 3 })
        await h.stop()
        #expect(h.session.store.calls.count == 2)
        #expect(h.session.sources[source].counters.droppedReasons["HEP auth key mismatch"] == 1)
    }
}
