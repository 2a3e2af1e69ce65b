import CaptureIngest
import Foundation
import Testing
import TestSupport
import TraceModel
@testable import TraceViewer
import WireDecoding

/// While a capture loads, a list of calls in start order takes the new calls on its end instead
/// of being worked out again (a million calls took a few hundred milliseconds): it must stay
/// exactly the list worked out anew, whatever order the data comes in.
@Suite struct ListExtensionTests {
    /// The capture's messages in batches of `size`, in file order or reversed.
    /// With `sameTime`, every message gets one time: every call starts at once, and ties in
    /// start order fall back to the call's index.
    static func batches(_ name: String, size: Int, reversed: Bool = false, sameTime: Bool = false) throws -> [MessageBatch] {
        let bytes = try Fixtures.bytes(Fixtures.kamailio(name))
        let decoder = TraceDecoder()
        var batches: [MessageBatch] = []
        var batch = MessageBatch()
        bytes.withUnsafeBytes { b in
            var reader = try! CaptureFileReader(b)
            var frames: [CaptureFrame] = []
            while let frame = reader.next() { frames.append(frame) }
            for frame in reversed ? frames.reversed() : frames {
                decoder.decode(frame: frame) { m in
                    var m = m
                    if sameTime { m.timestamp = Timestamp(nanoseconds: 1_700_000_000_000_000_000) }
                    batch.append(m)
                    if batch.count == size {
                        batches.append(batch)
                        batch = MessageBatch()
                    }
                }
            }
            decoder.finish { batch.append($0) }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    /// After each batch, the list the viewer keeps (one list, as one screen shows) is the one a
    /// new model works out.
    func check(_ name: String, size: Int, reversed: Bool, sameTime: Bool = false, scope: CallsScope,
               descending: Bool) throws -> ViewerModel {
        let model = ViewerModel(session: TraceSession())
        let source = model.addSource(name: name, kind: .file)
        for batch in try Self.batches(name, size: size, reversed: reversed, sameTime: sameTime) {
            model.ingest([.batch(source: source, batch)])
            let fresh = ViewerModel(session: model.session)
            let kept = model.callRows(scope: scope, sort: .start, descending: descending, filter: nil)
            let anew = fresh.callRows(scope: scope, sort: .start, descending: descending, filter: nil)
            #expect(kept == anew, "\(name) \(scope) descending \(descending) after \(model.store.messages.count) messages")
        }
        #expect(model.store.calls.count > 10)
        return model
    }

    static let lists: [(CallsScope, Bool)] = [(.all, false), (.all, true), (.group(0), false), (.group(0), true)]

    @Test(arguments: ["hep-kamailio-udp.pcap", "sip-plain-udp.pcap"])
    func listsInStartOrderGrowAtTheirEnd(_ name: String) throws {
        for (scope, descending) in Self.lists {
            let model = try check(name, size: 9, reversed: false, scope: scope, descending: descending)
            #expect(model.listsExtended > 5, "\(scope) descending \(descending)")
        }
    }

    /// Newest first: each batch's calls start before those listed, so the list is worked out
    /// anew each time, and is still right.
    @Test func dataInReverseOrderIsListedAnew() throws {
        for (scope, descending) in Self.lists {
            let model = try check("sip-plain-udp.pcap", size: 9, reversed: true, scope: scope, descending: descending)
            #expect(model.listsExtended < 3, "\(scope) descending \(descending)")
        }
    }

    @Test func callsStartingAtOnceKeepTheirOrder() throws {
        for (scope, descending) in Self.lists {
            let model = try check("sip-plain-udp.pcap", size: 9, reversed: false, sameTime: true, scope: scope,
                                  descending: descending)
            #expect(model.listsExtended > 5, "\(scope) descending \(descending)")
        }
    }
}
