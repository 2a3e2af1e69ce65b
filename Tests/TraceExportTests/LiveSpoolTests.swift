@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceExport
import TraceModel
import WireDecoding

/// A live session's payloads (listeners, pipes, replays) go to a spool file rather than into
/// the model's memory: the model, what it shows, what it saves and what survives an eviction
/// are the same as with the payloads kept in memory.
@Suite struct LiveSpoolTests {
    static func session(spooling: Bool, _ name: String = "hep-kamailio-udp.pcap") throws -> TraceSession {
        var session = TraceSession()
        if !spooling { session.spoolDirectories = [] }
        let s = session.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        // Nothing stays behind a live message: its payload is the batch's copy only.
        let batches = try Fixtures.messageBatches(name, size: 16) { $0.payloadInputOffset = nil }
        for batch in batches { session.apply([.batch(source: s, batch)]) }
        return session
    }

    static func payloads(_ store: TraceStore) -> [[UInt8]] {
        store.messages.map { r in store.withPayload(of: r) { [UInt8]($0) } }
    }

    @Test(arguments: ["hep-kamailio-udp.pcap", "sip-plain-udp.pcap"])
    func payloadsGoToTheSpoolFileAndTheModelIsTheSame(_ name: String) throws {
        let spooled = try Self.session(spooling: true, name).store
        let kept = try Self.session(spooling: false, name).store
        #expect(spooled.messages.count == kept.messages.count && kept.messages.count > 100)
        #expect(spooled.messages.allSatisfy { $0.payload.source != 0 })
        #expect(kept.messages.allSatisfy { $0.payload.source == 0 })
        // A listener is not a capture file: the messages' origin says so either way.
        #expect(spooled.messages.allSatisfy { spooled.origin(of: $0).input == 0 })
        #expect(Self.payloads(spooled) == Self.payloads(kept))
        #expect(ModelPicture(spooled) == ModelPicture(kept))
        // The payloads are not in the model's budget any more.
        #expect(spooled.memoryInUse * 2 < kept.memoryInUse)
    }

    @Test func savedCapturesAreTheSame() throws {
        let spooled = try Self.session(spooling: true).store
        let kept = try Self.session(spooling: false).store
        for decapsulate in [false, true] {
            let a = try CaptureExport.render(spooled, .all(spooled), kind: .pcapng, decapsulate: decapsulate)
            let b = try CaptureExport.render(kept, .all(kept), kind: .pcapng, decapsulate: decapsulate)
            #expect(a.count > 10_000)
            #expect(a == b, "decapsulate \(decapsulate)")
        }
    }

    @Test func anEvictionKeepsTheSpooledPayloads() throws {
        var spooled = try Self.session(spooling: true).store
        var kept = try Self.session(spooling: false).store
        let first = spooled.orderedGroups.first!
        spooled.evictGroups([first])
        kept.evictGroups([kept.orderedGroups.first!])
        #expect(spooled.messages.count == kept.messages.count && kept.messages.count > 50)
        #expect(spooled.messages.allSatisfy { $0.payload.source != 0 && spooled.origin(of: $0).input == 0 })
        #expect(Self.payloads(spooled) == Self.payloads(kept))
        let a = try CaptureExport.render(spooled, .all(spooled), kind: .pcapng, decapsulate: false)
        let b = try CaptureExport.render(kept, .all(kept), kind: .pcapng, decapsulate: false)
        #expect(a == b)
    }

    @Test func theSpoolTakesNothingWhenTheDiskIsNearlyFull() throws {
        let full = try #require(PayloadSpool(directories: [NSTemporaryDirectory()], room: { _ in 0 }))
        let taken = [UInt8](repeating: 1, count: 100).withUnsafeBytes { full.append($0) }
        #expect(taken == nil && !full.isOpen)
        let roomy = try #require(PayloadSpool(directories: [NSTemporaryDirectory()], room: { _ in Int.max / 2 }))
        let at = [UInt8](repeating: 2, count: 100).withUnsafeBytes { roomy.append($0) }
        let next = [UInt8](repeating: 3, count: 50).withUnsafeBytes { roomy.append($0) }
        #expect(at == 0 && next == 100)
        #expect(roomy.withBytes { [UInt8]($0) } == [UInt8](repeating: 2, count: 100) + [UInt8](repeating: 3, count: 50))
    }
}
