@testable import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
import WireDecoding

/// An eviction rebuilt on another thread from a copy of the model, while the owner goes on
/// reading the old one and holds back what comes in: the outcome is the eviction made in place,
/// and nothing that came in meanwhile is lost.
@Suite struct EvictionAsideTests {
    static let kamailio = Fixtures.kamailio("hep-kamailio-udp.pcap").path

    static func loaded(_ path: String = kamailio) -> TraceLoad {
        var load = TraceLoad()
        load.load(path: path)
        return load
    }

    struct Seen: Equatable {
        var time: Timestamp, hash: UInt32, callID: String?
    }

    static func seen(_ store: TraceStore, _ m: Int32) -> Seen {
        let r = store.messages[Int(m)]
        return Seen(time: r.time, hash: r.payloadHash, callID: r.call >= 0 ? store.strings.string(store.calls[Int(r.call)].callID) : nil)
    }

    static func payloads(_ store: TraceStore, _ indices: [Int]? = nil) -> [[UInt8]] {
        (indices ?? Array(store.messages.indices)).map { store.withPayload(of: store.messages[$0]) { [UInt8]($0) } }
    }

    @Test func anEvictionMadeAsideIsTheEvictionMadeInPlace() throws {
        var inPlace = Self.loaded().store
        var owner = inPlace
        let gone = inPlace.orderedGroups[0]
        let goneID = inPlace.correlationID(of: inPlace.groups[gone])
        let someCall = inPlace.groups[inPlace.orderedGroups[1]].calls[0]
        inPlace.evict(groups: [gone], calls: [someCall])
        let outcome = try #require(owner.readableAside().evicted(groups: [gone], calls: [someCall]))
        // Meanwhile the owner's screens moved: they stand on every message and group now.
        owner.followedMessages = owner.messages.indices.map(Int32.init)
        owner.followedGroups = Array(owner.groups.indices)
        let old = owner
        let adopted = owner.adopt(outcome)
        #expect(adopted)

        #expect(owner.counters == inPlace.counters && owner.counters.evictions == 1)
        #expect(owner.messages.count == inPlace.messages.count && owner.messages.count < old.messages.count)
        #expect(owner.messages.indices.allSatisfy { Self.seen(owner, Int32($0)) == Self.seen(inPlace, Int32($0)) })
        #expect(owner.orderedGroups.map { owner.correlationID(of: owner.groups[$0]) }
                == inPlace.orderedGroups.map { inPlace.correlationID(of: inPlace.groups[$0]) })
        // Every old number leads to the same message, or to none when it went; every message
        // kept is reached from exactly one old number.
        for (i, now) in owner.followedMessages.enumerated() {
            let wentWithGroup = old.groupIndex(ofMessage: Int32(i)) == gone
            let wentWithCall = old.messages[i].call == someCall
            if wentWithGroup || wentWithCall {
                #expect(now == -1)
            } else {
                #expect(now >= 0 && Self.seen(owner, now) == Self.seen(old, Int32(i)))
            }
        }
        #expect(Set(owner.followedMessages.filter { $0 >= 0 }).count == owner.messages.count)
        for (g, now) in owner.followedGroups.enumerated() {
            if g == gone {
                #expect(now == -1)
            } else {
                #expect(owner.correlationID(of: owner.groups[now]) == old.correlationID(of: old.groups[g]))
                #expect(owner.correlationID(of: owner.groups[now]) != goneID)
            }
        }
    }

    @Test func anOutcomeOfAnOlderModelIsRefused() throws {
        var load = Self.loaded()
        let outcome = try #require(load.store.readableAside().evicted(groups: [load.store.orderedGroups[0]], calls: []))
        load.load(path: Fixtures.kamailio("sip-plain-udp.pcap").path)
        let before = load.store.messages.count
        // Messages came in after the copy: adopting would lose them.
        let adopted = load.store.adopt(outcome)
        #expect(!adopted)
        #expect(load.store.messages.count == before && load.store.counters.evictions == 0)
    }

    /// A session with two listeners (sources 0 and 1) whose evictions are rebuilt aside, each
    /// held before it starts until `gate` is signalled; `ready` is signalled when one is done.
    static func heldSession(limit: Int, spooling: Bool) -> (TraceSession, DispatchSemaphore, DispatchSemaphore) {
        var session = TraceSession(configuration: .init(memoryLimit: limit, evictionsByOwner: true))
        if !spooling { session.spoolDirectories = [] }
        let gate = DispatchSemaphore(value: 0), ready = DispatchSemaphore(value: 0)
        session.beforeEvictionRebuild = { gate.wait() }
        session.evictionReady = { ready.signal() }
        _ = session.addSource(name: "udp://127.0.0.1:9060", kind: .listener)
        _ = session.addSource(name: "tcp://127.0.0.1:9060", kind: .listener)
        return (session, gate, ready)
    }

    /// A capture is fed as a listener's batches; past the budget, the rebuild starts aside and
    /// is held there while a second source's batches come in.
    @Test(arguments: [true, false])
    func aSessionGoesOnWhileItsEvictionIsRebuiltAside(spooling: Bool) throws {
        let first = try Fixtures.messageBatches("sip-plain-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        let second = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        let firstCount = first.reduce(0) { $0 + $1.count }
        let secondCount = second.reduce(0) { $0 + $1.count }
        var alone = TraceSession()
        for batch in first { alone.apply([.batch(source: alone.addSource(name: "a", kind: .listener), batch)]) }
        let budget = alone.store.memoryInUse * 5 / 4

        var (session, gate, ready) = Self.heldSession(limit: budget, spooling: spooling)
        let (a, b) = (0, 1)
        for batch in first { session.apply([.batch(source: a, batch)]) }
        #expect(!session.isEvictingAside && session.store.messages.count == firstCount)
        // The source's end asks for a look at the budget: over two thirds of it, the rebuild starts.
        session.apply([.finished(source: a, LoadReport(source: "udp", format: "sip"))])
        #expect(session.isEvictingAside)

        let screen = session.store
        for batch in second { session.apply([.batch(source: b, batch)]) }
        // Held back: the model the screens read is the one they read before.
        #expect(session.hasHeldWork && session.heldBytes > 0)
        #expect(session.store.messages.count == firstCount && session.store.counters.evictions == 0)
        #expect(Self.payloads(session.store) == Self.payloads(screen))
        let changed = session.advance()
        #expect(!changed)

        gate.signal()
        #expect(ready.wait(timeout: .now() + 30) == .success)
        let adopted = session.advance(batches: 1)
        #expect(adopted)
        #expect(session.store.counters.evictions == 1 && session.hasHeldWork)
        session.finishHeldWork()
        #expect(!session.hasHeldWork && session.heldBytes == 0)

        // Nothing lost: each message of the first source is kept or counted as evicted, and all
        // of the second's came in after the rebuild, whole, with their payloads.
        let store = session.store
        let counters = store.counters
        #expect(counters.evictedMessages > 0)
        #expect(store.messages.count + counters.evictedMessages == firstCount + secondCount)
        let fromSecond = store.messages.indices.filter { store.groups[store.groupIndex(ofMessage: Int32($0))].source == .hep }
        #expect(fromSecond.count == secondCount)
        var reference = TraceSession()
        reference.spoolDirectories = []
        for batch in second { reference.apply([.batch(source: reference.addSource(name: "b", kind: .listener), batch)]) }
        #expect(Self.payloads(store, fromSecond) == Self.payloads(reference.store))
    }

    /// A file that ends (or fails part way) while an eviction is rebuilt aside: its progress and
    /// its end are shown with its last batches, when they are in the model, not while they are
    /// still held.
    @Test(arguments: [false, true])
    func aFileLooksLoadedOnlyOnceItsHeldBatchesAreIn(failing: Bool) throws {
        let first = try Fixtures.messageBatches("sip-plain-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        let second = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        var alone = TraceSession()
        for batch in first { alone.apply([.batch(source: alone.addSource(name: "a", kind: .listener), batch)]) }
        var (session, gate, ready) = Self.heldSession(limit: alone.store.memoryInUse * 5 / 4, spooling: false)
        let file = session.addSource(name: "capture.pcap", kind: .file)
        for batch in first { session.apply([.batch(source: 0, batch)]) }
        session.apply([.finished(source: 0, LoadReport(source: "udp", format: "sip"))])
        #expect(session.isEvictingAside)

        let total = second.count * 100
        for (i, batch) in second.enumerated() {
            let changed = session.apply([.batch(source: file, batch), .progress(source: file, done: (i + 1) * 100, total: total)])
            #expect(!changed, "held back: nothing on screen changes")
        }
        let end: IngestEvent = failing ? .failed(source: file, "capture.pcap: read error")
                                       : .finished(source: file, LoadReport(source: "capture.pcap", format: "pcap"))
        let changed = session.apply([end])
        #expect(!changed)
        #expect(!session.sources[file].finished && session.sources[file].failure == nil)
        #expect(session.sources[file].bytesDone == 0 && session.isLoading)

        // This rebuild, and any the file's batches start on their way in.
        for _ in 0..<10 { gate.signal() }
        #expect(ready.wait(timeout: .now() + 30) == .success)
        // One batch at a time: while any is still held, the file is neither shown finished
        // nor all read.
        var shown = 0
        while session.hasHeldWork {
            guard session.advance(batches: 1) else { usleep(1000); continue }
            #expect(session.sources[file].bytesDone >= shown)
            shown = session.sources[file].bytesDone
            if session.heldBytes > 0 {
                #expect(!session.sources[file].finished && shown < total, "shown \(shown) of \(total)")
                #expect(session.sources[file].failure == nil)
            }
        }
        #expect(session.sources[file].finished)
        if failing {
            #expect(session.sources[file].failure == "capture.pcap: read error" && session.sources[file].report == nil)
        } else {
            #expect(session.sources[file].report?.format == "pcap" && session.sources[file].failure == nil)
        }
        #expect(session.sources[file].bytesDone == total && !session.isLoading)
        #expect(session.store.messages.count + session.store.counters.evictedMessages
                == (first + second).reduce(0) { $0 + $1.count })
    }

    /// A second eviction starting while batches held during the first are still being added:
    /// their payloads, in the spool already, keep their bytes through it.
    @Test func heldPayloadsSurviveTheNextEviction() throws {
        let first = try Fixtures.messageBatches("sip-plain-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        let second = try Fixtures.messageBatches("hep-kamailio-udp.pcap", size: 16) { $0.payloadInputOffset = nil }
        var everything = TraceSession()
        everything.spoolDirectories = []
        for batch in first + second { everything.apply([.batch(source: everything.addSource(name: "x", kind: .listener), batch)]) }
        let payloads = Set(Self.payloads(everything.store))

        // A budget nothing fits in: every look at it evicts what it can.
        var (session, gate, ready) = Self.heldSession(limit: 1, spooling: true)
        let (a, b) = (0, 1)
        for batch in first { session.apply([.batch(source: a, batch)]) }
        session.apply([.finished(source: a, LoadReport(source: "udp", format: "sip"))])
        #expect(session.isEvictingAside)
        // Held: a few batches, a look at the budget, and the rest.
        for batch in second.prefix(2) { session.apply([.batch(source: b, batch)]) }
        session.apply([.finished(source: b, LoadReport(source: "tcp", format: "hep"))])
        for batch in second.dropFirst(2) { session.apply([.batch(source: b, batch)]) }
        gate.signal()
        #expect(ready.wait(timeout: .now() + 30) == .success)
        session.advance()
        // The first is adopted, two batches added, and the look at the budget started another.
        #expect(session.store.counters.evictions == 1 && session.isEvictingAside && session.heldBytes > 0)
        gate.signal()
        #expect(ready.wait(timeout: .now() + 30) == .success)
        session.finishHeldWork()

        let store = session.store
        #expect(store.counters.evictions == 2)
        #expect(store.messages.count + store.counters.evictedMessages == everything.store.messages.count)
        #expect(store.messages.count > 100)
        let kept = Self.payloads(store)
        #expect(kept.allSatisfy { payloads.contains($0) }, "\(kept.filter { !payloads.contains($0) }.count) payloads changed")
    }
}
