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

    /// One listener's session fed the plain SIP capture (an uncorrelated group, at the start of
    /// the spool) and then the Kamailio HEP one (two correlation groups).
    static func mixedSession(spooling: Bool, reserve: Int? = nil) throws -> TraceSession {
        var session = TraceSession()
        if !spooling { session.spoolDirectories = [] }
        if let reserve { session.spoolReserve = reserve }
        let s = session.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        for name in ["sip-plain-udp.pcap", "hep-kamailio-udp.pcap"] {
            for batch in try Fixtures.messageBatches(name, size: 16, adjust: { $0.payloadInputOffset = nil }) {
                session.apply([.batch(source: s, batch)])
            }
        }
        return session
    }

    /// Whether the temporary directory's file system gives blocks back when holes are punched
    /// (ext4, xfs, tmpfs do; some do not): the disk-space checks need it.
    static let holesWork: Bool = {
        guard let spool = PayloadSpool(directories: [NSTemporaryDirectory()]) else { return false }
        _ = [UInt8](repeating: 1, count: 3 * 4096).withUnsafeBytes { spool.append($0) }
        spool.giveBack([4096..<8192])
        return spool.givenBack == 4096
    }()

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

    @Test(.enabled(if: LiveSpoolTests.holesWork, "the temporary directory's file system cannot punch holes"))
    func anEvictionGivesTheEvictedPayloadsDiskSpaceBack() throws {
        var spooled = try Self.mixedSession(spooling: true)
        var kept = try Self.mixedSession(spooling: false)
        let before = spooled.spoolUsage
        #expect(before.written > 400_000 && before.onDisk >= before.written - 4096)
        // The plain capture's group: the first third of the spool or so.
        let plain = spooled.store.groupIndex(ofMessage: 0)
        let plainBytes = spooled.store.messages.indices
            .filter { spooled.store.groupIndex(ofMessage: Int32($0)) == plain }
            .reduce(0) { $0 + Int(spooled.store.messages[$1].payload.length) }
        spooled.store.evictGroups([plain])
        kept.store.evictGroups([kept.store.groupIndex(ofMessage: 0)])
        #expect(spooled.store.messages.count == kept.store.messages.count && kept.store.messages.count > 100)
        #expect(Self.payloads(spooled.store) == Self.payloads(kept.store))
        #expect(ModelPicture(spooled.store) == ModelPicture(kept.store))
        let after = spooled.spoolUsage
        #expect(after.written == before.written)
        #expect(before.onDisk - after.onDisk >= plainBytes - 2 * 4096, "\(before) → \(after), evicted \(plainBytes) bytes")
        // No range given back holds a byte of a message still kept.
        let gaps = try #require(spooled.store.unreferencedPayloadRanges(minimumGap: 1).first?.value)
        for r in spooled.store.messages {
            let span = r.payload.offset..<r.payload.offset + Int(r.payload.length)
            #expect(!gaps.contains { $0.overlaps(span) })
        }
        // New payloads go on after the holes and read back as sent.
        let keptBefore = spooled.store.messages.count
        for batch in try Fixtures.messageBatches("sip-plain-tcp.pcap", size: 16, adjust: { $0.payloadInputOffset = nil }) {
            spooled.apply([.batch(source: 0, batch)])
            kept.apply([.batch(source: 0, batch)])
        }
        #expect(spooled.store.messages.count > keptBefore)
        #expect(Self.payloads(spooled.store) == Self.payloads(kept.store))
    }

    @Test func aFullSpoolIsFollowedByAnother() throws {
        var spooled = try Self.mixedSession(spooling: true, reserve: 64 << 10)
        var kept = try Self.mixedSession(spooling: false)
        let sources = Set(spooled.store.messages.map(\.payload.source))
        #expect(sources.count > 5 && !sources.contains(0), "\(sources)")
        #expect(Self.payloads(spooled.store) == Self.payloads(kept.store))
        #expect(ModelPicture(spooled.store) == ModelPicture(kept.store))
        spooled.store.evictGroups([spooled.store.groupIndex(ofMessage: 0)])
        kept.store.evictGroups([kept.store.groupIndex(ofMessage: 0)])
        #expect(Self.payloads(spooled.store) == Self.payloads(kept.store))
    }

    @Test func whenNoNextSpoolCanBeMadePayloadsStayInMemory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var session = TraceSession()
        session.spoolDirectories = [dir.path]
        session.spoolReserve = 64 << 10
        let s = session.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        let batches = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        for batch in batches.prefix(3) { session.apply([.batch(source: s, batch)]) }
        // The spool file is unlinked already; without its directory no next one can be made.
        try FileManager.default.removeItem(at: dir)
        for batch in batches.dropFirst(3) { session.apply([.batch(source: s, batch)]) }
        let kept = try Self.session(spooling: false).store
        #expect(Self.payloads(session.store) == Self.payloads(kept))
        let sources = session.store.messages.map(\.payload.source)
        #expect(sources.first != 0 && sources.last == 0 && Set(sources).count == 2, "\(Set(sources))")
    }

    /// A spool stopped by a nearly full disk looks again after an eviction (which gave space
    /// back, here or elsewhere), and takes payloads again when there is room.
    @Test func aSpoolWaitingForRoomLooksAgainAfterAnEviction() throws {
        final class Disk: @unchecked Sendable { var room = 0 }
        let disk = Disk()
        let full = try Self.session(spooling: false).store.memoryInUse
        var session = TraceSession(configuration: .init(memoryLimit: full * 6 / 5))
        session.spoolRoom = { _ in disk.room }
        let s = session.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        let batches = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        for batch in batches { session.apply([.batch(source: s, batch)]) }
        #expect(session.store.messages.allSatisfy { $0.payload.source == 0 })
        #expect(session.spoolUsage.written == 0)
        disk.room = Int.max / 2
        // The listener ends: the budget is checked, groups go, the spool looks at the disk again.
        session.apply([.finished(source: s, LoadReport(source: "udp", format: "hep"))])
        #expect(session.store.counters.evictions == 1)
        let before = session.store.messages.count
        for batch in try Fixtures.messageBatches("sip-plain-tcp.pcap", size: 16, adjust: { $0.payloadInputOffset = nil }) {
            session.apply([.batch(source: s, batch)])
        }
        let added = session.store.messages[before...]
        #expect(!added.isEmpty && added.allSatisfy { $0.payload.source != 0 })
        #expect(session.spoolUsage.written > 0)
    }

    @Test(.enabled(if: LiveSpoolTests.holesWork, "the temporary directory's file system cannot punch holes"))
    func aSpoolWaitingForRoomTakesBytesAgainOnceSpaceCameBack() throws {
        final class Disk: @unchecked Sendable { var room = Int.max / 2 }
        let disk = Disk()
        let spool = try #require(PayloadSpool(directories: [NSTemporaryDirectory()], room: { _ in disk.room }))
        let first = [UInt8](repeating: 7, count: SpoolFile.roomCheckStep - 4096).withUnsafeBytes { spool.append($0) }
        #expect(first == 0 && spool.diskBytes >= SpoolFile.roomCheckStep - 4096)
        // Crossing the next check with the disk nearly full: closed.
        disk.room = 0
        let refused = [UInt8](repeating: 8, count: 8192).withUnsafeBytes { spool.append($0) }
        #expect(refused == nil && !spool.isOpen && !spool.isFull)
        // Space given back opens it; the room is looked at on the next write.
        let onDisk = spool.diskBytes
        spool.giveBack([4095..<(1 << 20) + 4096 + 5])
        #expect(spool.isOpen && spool.givenBack == 1 << 20)
        #expect(onDisk - spool.diskBytes == 1 << 20)
        #expect(spool.withBytes { $0[4095] == 7 && $0[4096] == 0 && $0[(1 << 20) + 4095] == 0 && $0[(1 << 20) + 4096] == 7 })
        let stillFull = [UInt8](repeating: 9, count: 100).withUnsafeBytes { spool.append($0) }
        #expect(stillFull == nil && !spool.isOpen)
        disk.room = Int.max / 2
        spool.giveBack([(2 << 20)..<(3 << 20)])
        let taken = [UInt8](repeating: 9, count: 100).withUnsafeBytes { spool.append($0) }
        #expect(taken == SpoolFile.roomCheckStep - 4096)
        #expect(spool.withBytes { $0[$0.count - 1] } == 9)
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
