import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// One capture taken on two interfaces that both carry the same traffic (a host and its
/// container's bridge, a mirror port): every message is there twice, 3 ms apart.
@Suite struct TwoInterfaceTests {
    /// The frames of `name`, each on interface 0 and again 3 ms later on interface 1, in time order.
    static func seenTwice(_ name: String) throws -> URL {
        let frames = try Fixtures.bytes(Fixtures.kamailio(name)).withUnsafeBytes { bytes -> [(Int64, [UInt8])] in
            var reader = try CaptureFileReader(bytes)
            var out: [(Int64, [UInt8])] = []
            while let f = reader.next() { out.append((f.timestamp.nanoseconds / 1000, Array(f.data))) }
            return out
        }
        var copies: [(Int64, UInt32, [UInt8])] = frames.map { ($0.0, 0, $0.1) } + frames.map { ($0.0 + 3000, 1, $0.1) }
        copies.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var b = PcapngBuilder()
        b.shb()
        b.idb(linkType: 1)
        b.idb(linkType: 1)
        for (micros, interface, data) in copies { b.epb(interface: interface, units: UInt64(micros), data: data) }
        let url = URL(fileURLWithPath: TestFolder.path("two-interfaces-\(name).pcapng"))
        try Data(b.bytes).write(to: url)
        return url
    }

    /// Over TCP as over UDP: each interface's copy of a connection is reassembled on its own,
    /// and the second copy of each message is a sighting of the first, not a retransmission.
    @Test(arguments: ["sip-plain-tcp.pcap", "sip-plain-udp.pcap"])
    func theSecondInterfaceGivesSightings(_ name: String) throws {
        var once = TraceLoad()
        once.load(paths: [Fixtures.kamailio(name).path])
        var twice = TraceLoad()
        twice.load(paths: [try Self.seenTwice(name).path])
        #expect(twice.failures.isEmpty)
        #expect(twice.store.messages.count == once.store.messages.count)
        #expect(twice.store.calls.count == once.store.calls.count)
        #expect(twice.store.counters.sightings == once.store.messages.count)
        #expect(twice.decoder.counters.malformed == 0)
    }
}
