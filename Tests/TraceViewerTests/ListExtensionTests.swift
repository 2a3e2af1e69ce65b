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
    /// After each batch, the list the viewer keeps (one list, as one screen shows) is the one a
    /// new model works out.
    func check(_ name: String, size: Int, reversed: Bool, sameTime: Bool = false, scope: CallsScope,
               descending: Bool) throws -> ViewerModel {
        let model = ViewerModel(session: TraceSession())
        let source = model.addSource(name: name, kind: .file)
        // With `sameTime`, every call starts at once, and ties in start order fall back to the
        // call's index.
        let batches = try Fixtures.messageBatches(name, size: size, reversed: reversed) { m in
            if sameTime { m.timestamp = Timestamp(nanoseconds: 1_700_000_000_000_000_000) }
        }
        for batch in batches {
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
