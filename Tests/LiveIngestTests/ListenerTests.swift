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

    /// A port already listened on is an error for UDP as for TCP: a second listener must not
    /// take the first one's traffic without a word.
    @Test(arguments: ["udp", "tcp"]) func aPortInUseIsAnError(_ kind: String) async throws {
        let first = try LiveHarness()
        let spec: (Int) -> SourceSpec = { kind == "udp" ? .udp(host: "127.0.0.1", port: $0) : .tcp(host: "127.0.0.1", port: $0) }
        let (_, port) = try await first.listen(spec, name: kind)
        let second = try LiveHarness()
        // Said in the system's words, not the networking library's.
        await #expect(throws: ListenError(description: "Address already in use")) {
            _ = try await second.listen({ _ in spec(port) }, name: kind)
        }
        await second.stop()
        await first.stop()
    }

    /// A throwaway self-signed certificate and its key, made by openssl in the test folder.
    static func throwawayCertificate() throws -> (certificate: String, key: String) {
        let cert = TestFolder.path("cert.pem"), key = TestFolder.path("key.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        return (cert, key)
    }

    /// Runs `body` (Python, with `s` a TLS socket connected to 127.0.0.1:`port`, certificates
    /// not checked; `arguments` from sys.argv[2]); its exit status.
    static func tlsClient(port: Int, _ body: String, _ arguments: String...) throws -> Int32 {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "-c", """
            import socket, ssl, struct, sys, time
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
            """ + "\n" + body, String(port)] + arguments
        try client.run()
        client.waitUntilExit()
        return client.terminationStatus
    }

    /// A TLS listener that cannot start names the file at fault and what is wrong with it.
    @Test func tlsFilesThatCannotServeAreNamed() async throws {
        let (cert, key) = try Self.throwawayCertificate()
        let (otherCert, _) = try Self.throwawayCertificate()
        let missing = TestFolder.path("missing.pem")
        let cases: [(String, String, String)] = [
            (missing, key, "certificate \(missing): No such file or directory"),
            (cert, missing, "key \(missing): No such file or directory"),
            (TestFolder.url.path, key, "certificate \(TestFolder.url.path): not a regular file"),
            (key, key, "certificate \(key): not a PEM certificate"),
            (cert, cert, "key \(cert): not a PEM private key (an encrypted key needs its passphrase removed)"),
            (otherCert, key, "certificate \(otherCert) and key \(key) cannot be used together (does the key match the certificate?)"),
        ]
        let h = try LiveHarness()
        for (c, k, expected) in cases {
            await #expect(throws: ListenError(description: expected)) {
                _ = try await h.listen({ .tls(host: "127.0.0.1", port: $0, certificate: c, key: k) }, name: "tls")
            }
        }
        await h.stop()
    }

    @Test func tlsWithAThrowawayCertificate() async throws {
        let (cert, key) = try Self.throwawayCertificate()

        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .tls(host: "127.0.0.1", port: $0, certificate: cert, key: key) }, name: "tls")
        // A TLS client sending the whole dump as one stream of HEP messages.
        #expect(try Self.tlsClient(port: port, """
            data = open(sys.argv[2], 'rb').read()
            i = 0
            while i < len(data):
                n = struct.unpack('>I', data[i:i+4])[0]; s.sendall(data[i+4:i+4+n]); i += 4 + n
            s.close()
            """, Self.dump.path) == 0)
        #expect(h.pump { $0.store.messages.count >= 280 })
        await h.stop()
        #expect(TruthRows.model(h.session.store) == (try TruthRows.truth("hep-kamailio-udp.truth.json")))
        #expect(h.session.sources[source].counters.malformed == 0)
    }

    /// Garbage inside TLS ends that connection and counts once, as over plain TCP (the TLS
    /// close that follows is the same failure).
    @Test func garbageInsideTLSCountsOnce() async throws {
        let (cert, key) = try Self.throwawayCertificate()
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .tls(host: "127.0.0.1", port: $0, certificate: cert, key: key) }, name: "tls")
        _ = try Self.tlsClient(port: port, """
            s.sendall(bytes(500))
            time.sleep(0.5)
            s.close()
            """)
        #expect(h.pump { $0.sources[source].counters.malformed >= 1 })
        usleep(300_000)
        _ = h.pump { _ in true }
        await h.stop()
        #expect(h.session.sources[source].counters.malformedReasons == ["HEP stream out of sync": 1])
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

@Suite(.serialized) struct ListenerEdgeTests {
    func bigOptions(callID: String, padding: Int) -> [UInt8] {
        let body = String(repeating: "x", count: padding)
        let sip = "MESSAGE sip:a@x SIP/2.0\r\nCall-ID: \(callID)\r\nCSeq: 1 MESSAGE\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return HEPBuilder.sip(Array(sip.utf8), from: Endpoint(address: .v4(0x0a00_0001), port: 5060),
                              to: Endpoint(address: .v4(0x0a00_0002), port: 5060), time: Timestamp(nanoseconds: 1_000_000_000))
    }

    @Test func largeDatagramsArriveWhole() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let packet = bigOptions(callID: "big-1", padding: 64_000)
        #expect(packet.count > 64_000 && packet.count <= 65_507)
        Net.sendUDP([packet], port: port)
        #expect(h.pump { $0.store.messages.count == 1 })
        await h.stop()
        #expect(h.session.sources[source].counters.bytes == packet.count)
        #expect(h.session.store.messages.first?.payload.length == UInt32(packet.count - 6 - 7 - 7 - 10 - 10 - 8 - 8 - 10 - 10 - 7 - 10 - 6))
    }

    @Test func ipv6Listener() async throws {
        let h = try LiveHarness()
        let (source, port) = try await h.listen({ .udp(host: "::1", port: $0) }, name: "udp6")
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_port = in_port_t(UInt16(port).bigEndian)
        addr.sin6_addr.__in6_u.__u6_addr8.15 = 1
        let packet = bigOptions(callID: "v6-1", padding: 10)
        _ = packet.withUnsafeBytes { b in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        #expect(h.pump { $0.store.messages.count == 1 })
        await h.stop()
        #expect(h.session.sources[source].counters.hepByVersion[3] == 1)
    }

    @Test func hepV1AndV2DatagramsAreDecoded() async throws {
        let h = try LiveHarness()
        let (_, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let sip = Array("OPTIONS sip:a SIP/2.0\r\nCall-ID: old-hep\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)
        let v1: [UInt8] = [1, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2] + sip
        let v2: [UInt8] = [2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2,
                           0x5b, 0x4c, 0xc7, 0x69, 0x40, 0xe2, 0x01, 0x00, 0x01, 0x00, 0, 0] + sip
        Net.sendUDP([v1, v2], port: port)
        #expect(h.pump { $0.store.messages.count == 2 || $0.store.calls.first?.messageCount == 2 })
        await h.stop()
        let c = h.session.totalCounters
        #expect(c.hepByVersion[1] == 1 && c.hepByVersion[2] == 1)
        // v2 carries its own timestamp; v1 has none, so the receive time stands in.
        let times = h.session.store.messages.map(\.time.nanoseconds)
        #expect(times.contains(Int64(0x69c74c5b) * 1_000_000_000 + 123_456_000))
    }
}
