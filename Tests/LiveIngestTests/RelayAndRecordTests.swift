import CaptureIngest
import Foundation
import LiveIngest
import NIOCore
import Testing
import TestSupport
import TraceModel
import WireDecoding

#if canImport(Glibc)
import Glibc
#endif

/// What a relay forwards upstream and what a recording reopens as, byte for byte.
@Suite(.serialized) struct RelayAndRecordTests {
    static func packets() throws -> [[UInt8]] { try Fixtures.rawHEPPackets() }

    @Test func udpRelayForwardsEveryPacketUnchanged() async throws {
        let upstream = Net.boundUDP()
        defer { close(upstream.fd) }
        let h = try LiveHarness(options: .init(relay: .udp(host: "127.0.0.1", port: upstream.port)))
        let (_, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        try await Task.sleep(nanoseconds: 100_000_000)  // the relay's socket binds asynchronously
        let sent = try Self.packets()
        for chunk in stride(from: 0, to: sent.count, by: 20) {
            Net.sendUDP(Array(sent[chunk..<min(chunk + 20, sent.count)]), port: port)
            usleep(2000)
        }
        let received = Net.receiveUDP(upstream.fd, count: sent.count)
        await h.stop()
        #expect(received.count == sent.count)
        #expect(Set(received) == Set(sent))
        #expect(h.ingest.relay!.snapshot.forwarded == sent.count)
        #expect(h.ingest.relay!.snapshot.dropped == 0)
    }

    @Test func tcpRelayReconnectsAndForwardsTheStream() async throws {
        // An upstream that is not listening yet: packets are dropped and counted, never queued
        // without bound; once it listens, the relay connects and forwards.
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        var addr = Net.loopback(0)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let upstreamPort = Net.boundPort(server)
        defer { close(server) }

        let h = try LiveHarness(options: .init(relay: .tcp(host: "127.0.0.1", port: upstreamPort)))
        let (_, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let sent = try Self.packets()
        Net.sendUDP(Array(sent.prefix(10)), port: port)  // upstream down: dropped
        #expect(h.pump(seconds: 5) { $0.store.messages.count >= 10 })
        #expect(h.ingest.relay!.snapshot.dropped == 10)

        listen(server, 4)
        var peer: Int32 = -1
        for _ in 0..<100 where peer < 0 {
            var tv = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            peer = accept(server, nil, nil)
        }
        #expect(peer >= 0)
        try await Task.sleep(nanoseconds: 100_000_000)
        Net.sendUDP(Array(sent.dropFirst(10)), port: port)
        var stream: [UInt8] = []
        let expected = sent.dropFirst(10).flatMap { $0 }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var idle = 0
        while stream.count < expected.count, idle < 25 {
            let n = buffer.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
            if n > 0 { stream += buffer[0..<n]; idle = 0 } else { idle += 1 }
        }
        close(peer)
        await h.stop()
        // UDP on loopback keeps order here; the upstream sees exactly the packets, back to back.
        #expect(stream == expected)
        #expect(h.ingest.relay!.snapshot.forwarded == sent.count - 10)
        // The model's side hears of it too (the status line and print's input report show it).
        h.pump(seconds: 1) { $0.relay?.forwarded == sent.count - 10 }
        #expect(h.session.relay == RelayCounters(target: "tcp://127.0.0.1:\(upstreamPort)", forwarded: sent.count - 10,
                                                 dropped: 10, connects: 1))
    }

    /// A recording that cannot be written (here the full device) stops with the reason, and
    /// the listener goes on; nothing piles up waiting to be written.
    @Test func aRecordingThatCannotBeWrittenStopsAndSaysWhy() async throws {
        let h = try LiveHarness(options: .init(recordPath: "/dev/full"))
        let (_, port) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let sent = try Self.packets()
        Net.sendUDP(Array(sent.prefix(140)), port: port)
        #expect(h.pump { $0.store.messages.count >= 140 })
        h.ingest.recorder!.flush()
        #expect(h.ingest.recorder!.failure == "/dev/full: recording stopped: No space left on device")
        Net.sendUDP(Array(sent.dropFirst(140)), port: port)
        #expect(h.pump { $0.store.messages.count >= 280 })
        await h.stop()
    }

    @Test func recordingReopensExactlyAsReceived() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("live.pcap").path
        let h = try LiveHarness(options: .init(recordPath: path, rotateBytes: 60_000))
        let (_, udpPort) = try await h.listen({ .udp(host: "127.0.0.1", port: $0) }, name: "udp")
        let (_, tcpPort) = try await h.listen({ .tcp(host: "127.0.0.1", port: $0) }, name: "tcp")
        let sent = try Self.packets()
        Net.sendUDP(Array(sent.prefix(140)), port: udpPort)
        let fd = Net.connectTCP(tcpPort)
        Net.sendAll(fd, Array(sent.dropFirst(140)).flatMap { $0 })
        close(fd)
        #expect(h.pump { $0.store.messages.count >= 280 })
        // While the listeners run and nothing more comes, the files fill up within a second or
        // two: everything received is on disk without waiting for the end.
        func recordedFrames() -> Int {
            h.ingest.recorder!.files.reduce(0) { n, f in
                guard let bytes = try? Fixtures.bytes(URL(fileURLWithPath: f)) else { return n }
                return n + bytes.withUnsafeBytes { b in
                    guard var reader = try? CaptureFileReader(b) else { return 0 }
                    var k = 0
                    while reader.next() != nil { k += 1 }
                    return k
                }
            }
        }
        var onDisk = 0
        for _ in 0..<40 where onDisk < 280 {
            usleep(100_000)
            onDisk = recordedFrames()
        }
        #expect(onDisk == 280)
        await h.stop()

        // Rotated into several files; together they hold every packet, byte for byte.
        let files = h.ingest.recorder!.files
        #expect(files.count > 1)
        #expect(files.first == path && files[1].hasSuffix("live.1.pcap"))
        var reopened: [[UInt8]] = []
        var reload = TraceLoad()
        for f in files {
            let bytes = try Fixtures.bytes(URL(fileURLWithPath: f))
            #expect(bytes.count <= 60_000)
            try bytes.withUnsafeBytes { b in
                var reader = try CaptureFileReader(b)
                while let frame = reader.next() {
                    // Ethernet 14 + IPv4 20 + UDP 8: the HEP packet follows.
                    reopened.append(Array(frame.data.dropFirst(42)))
                }
                #expect(reader.warnings.isEmpty)
            }
            reload.load(path: f)
        }
        #expect(reopened.sorted { $0.lexicographicallyPrecedes($1) } == sent.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(TruthRows.model(reload.store) == (try TruthRows.truth("hep-kamailio-udp.truth.json")))
    }
}

/// A relay aimed at the run's own listener is recognised by address, not by spelling.
@Suite struct RelayLoopTests {
    /// This machine's addresses other than loopback (none on a machine with loopback only).
    static func lanAddresses() throws -> [String] {
        try System.enumerateDevices().compactMap { $0.address?.ipAddress }
            .filter { !$0.hasPrefix("127.") && $0 != "::1" && !$0.hasPrefix("fe80") }
    }

    @Test func aListenerOnEveryAddressIsReachedThroughAnyOfThem() throws {
        let any = SourceSpec.udp(host: "0.0.0.0", port: 9060)
        // "localhost" may name ::1 first: a dual-stack listener takes it either way.
        #expect(RelayLoop.reaches(.udp(host: "localhost", port: 9060), .udp(host: "::", port: 9060)))
        #expect(RelayLoop.reaches(.udp(host: "127.0.0.2", port: 9060), any))
        // Sent to, the wildcard address is this machine.
        #expect(RelayLoop.reaches(.udp(host: "0.0.0.0", port: 9060), any))
        #expect(RelayLoop.reaches(.udp(host: "0.0.0.0", port: 9060), .udp(host: "127.0.0.1", port: 9060)))
        for lan in try Self.lanAddresses() where !lan.contains(":") {
            #expect(RelayLoop.reaches(.udp(host: lan, port: 9060), any), "\(lan)")
            #expect(RelayLoop.reaches(.tcp(host: lan, port: 9060), .tcp(host: "::", port: 9060)), "\(lan)")
            // A listener on loopback alone never hears what goes to the LAN address.
            #expect(!RelayLoop.reaches(.udp(host: lan, port: 9060), .udp(host: "127.0.0.1", port: 9060)), "\(lan)")
        }
    }

    @Test func otherPortsProtocolsAndMachinesAreNoLoop() {
        let local = SourceSpec.udp(host: "127.0.0.1", port: 9060)
        #expect(RelayLoop.reaches(.udp(host: "127.0.0.1", port: 9060), local))
        #expect(!RelayLoop.reaches(.udp(host: "127.0.0.1", port: 9061), local))
        #expect(!RelayLoop.reaches(.tcp(host: "127.0.0.1", port: 9060), local))
        #expect(!RelayLoop.reaches(.udp(host: "192.0.2.200", port: 9060), .udp(host: "0.0.0.0", port: 9060)))
        // An IPv4 wildcard socket does not take IPv6.
        #expect(!RelayLoop.reaches(.udp(host: "::1", port: 9060), .udp(host: "0.0.0.0", port: 9060)))
        #expect(RelayLoop.reaches(.udp(host: "::1", port: 9060), .udp(host: "::", port: 9060)))
    }
}
