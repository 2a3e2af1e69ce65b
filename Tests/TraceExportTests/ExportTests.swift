import CaptureIngest
import Foundation
import Testing
import TestSupport
@testable import TraceExport
import TraceModel
import TraceOutput
import WireDecoding

#if canImport(FoundationXML)
import FoundationXML
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What the model shows of a capture: per message (correlation, Call-ID, label, src, dst,
/// transport), and per call its state.
struct ModelPicture: Equatable {
    var rows: [String: Int] = [:]
    var states: [String: Int] = [:]
    var groups: [String] = []

    init(_ store: TraceStore, keepCorrelation: Bool = true) {
        for (i, c) in store.calls.enumerated() {
            for m in store.messages(of: Int32(i)) {
                let r = store.messages[Int(m)]
                let corr = keepCorrelation ? (store.correlationID(ofMessage: m) ?? "-") : "-"
                let key = "\(corr) \(store.strings.string(c.callID)) \(store.methodName(m) ?? String(r.status)) "
                    + "\(store.endpoints[r.source]) \(store.endpoints[r.destination]) \(r.transport.name)"
                rows[key, default: 0] += 1
            }
            states["\(store.strings.string(c.callID)) \(c.state.name) \(i >= 0)", default: 0] += 1
        }
        groups = store.orderedGroups.map { store.correlationID(of: store.groups[$0]) ?? "-" }.sorted()
        if !keepCorrelation { groups = [] }
    }
}

func load(_ paths: [String]) -> TraceStore {
    var l = TraceLoad()
    l.load(paths: paths)
    #expect(l.failures.isEmpty, "\(l.failures)")
    return l.store
}

func temporaryPath(_ name: String) -> String {
    TestFolder.path(name)
}

/// Save, then open what was saved.
func roundTrip(_ store: TraceStore, _ selection: ExportSelection, _ format: ExportFormat, decapsulate: Bool = false) throws -> (TraceStore, String) {
    let path = temporaryPath("out.\(format.rawValue)")
    try AtomicFile.write(try format.render(store, selection, decapsulate: decapsulate), to: path)
    return (load([path]), path)
}

@Suite struct CaptureRoundTripTests {
    static let captures = ["hep-kamailio-udp.pcap", "sip-plain-udp.pcap", "sip-plain-tcp.pcap"]

    @Test(arguments: captures, [ExportFormat.pcap, .pcapng])
    func everythingSavedOpensAsBefore(capture: String, format: ExportFormat) throws {
        let original = load([Fixtures.kamailio(capture).path])
        let (reopened, _) = try roundTrip(original, .all(original), format)
        #expect(ModelPicture(reopened) == ModelPicture(original))
        #expect(reopened.messages.count == original.messages.count)
    }

    @Test func oneCallSavedIsJustThatCallWithItsSession() throws {
        let original = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let selection = ExportSelection.calls(original, callIDs: ["udp-busy-3-642@127.0.0.1"])
        #expect(selection.messages.count == 4)
        let (reopened, path) = try roundTrip(original, selection, .pcapng)
        #expect(reopened.calls.count == 1)
        #expect(reopened.calls[0].state == .busy && reopened.calls[0].finalStatus == 486)
        #expect(reopened.orderedGroups.map { reopened.correlationID(of: reopened.groups[$0]) } == ["tb-20261127T015517Z-udp-b"])
        // Comments: per packet the correlation id, per file what was selected.
        try Fixtures.bytes(URL(fileURLWithPath: path)).withUnsafeBytes { b in
            var reader = try CaptureFileReader(b)
            var comments: [String?] = []
            while let f = reader.next() { comments.append(f.comment?.text) }
            #expect(comments.count == 4)
            #expect(comments.allSatisfy { $0 == "correlation id tb-20261127T015517Z-udp-b; capture id 1" })
            #expect(reader.fileComments == ["hepscope: 4 messages, Call-ID udp-busy-3-642@127.0.0.1"])
        }
    }

    /// A load test's calls share one TCP connection: one call saved holds that call's messages,
    /// byte for byte, and no other call's.
    @Test(arguments: [ExportFormat.pcap, .pcapng])
    func oneCallOfASharedTCPConnectionIsJustThatCall(format: ExportFormat) throws {
        let original = load([Fixtures.kamailio("sip-plain-tcp.pcap").path])
        let callID = "tcp-basic-4-948@127.0.0.1"
        let selection = ExportSelection.calls(original, callIDs: [callID])
        #expect(selection.messages.count == 14)
        let (reopened, _) = try roundTrip(original, selection, format)
        #expect(reopened.calls.count == 1 && reopened.messages.count == 14)
        #expect(ModelPicture(reopened).rows == ModelPicture(original).rows.filter { $0.key.contains(" \(callID) ") })
        func payloads(_ store: TraceStore, _ messages: [Int32]) -> [[UInt8]] {
            messages.map { m in store.withPayload(of: store.messages[Int(m)]) { Array($0) } }
        }
        #expect(payloads(reopened, reopened.orderedMessages(of: 0)) == payloads(original, original.ordered(selection.messages)))
    }

    /// Two calls whose requests share a TCP segment: saving one writes that call alone.
    @Test func aSegmentCarryingTwoCallsDoesNotBringTheOtherAlong() throws {
        func request(_ method: String, _ callID: String, _ cseq: Int) -> [UInt8] {
            Array(("\(method) sip:b@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK\(callID)\(cseq)\r\n"
                + "From: <sip:a@192.0.2.10>;tag=f\(callID)\r\nTo: <sip:b@192.0.2.20>\r\nCall-ID: \(callID)\r\n"
                + "CSeq: \(cseq) \(method)\r\nContent-Length: 0\r\n\r\n").utf8)
        }
        let a = Endpoint(address: .v4(0xc000_020a), port: 5060), b = Endpoint(address: .v4(0xc000_0214), port: 5060)
        let segments = [request("OPTIONS", "keep-1", 1) + request("OPTIONS", "other-2", 1), request("OPTIONS", "keep-1", 2)]
        var w = PcapWriter()
        var sequence: UInt32 = 1000
        for (i, payload) in segments.enumerated() {
            w.append(FrameBuilder.tcp(from: a, to: b, sequence: sequence, payload: payload), time: Timestamp(nanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 1_000_000))
            sequence &+= UInt32(payload.count)
        }
        let url = URL(fileURLWithPath: temporaryPath("shared-segment.pcap"))
        try Data(w.bytes).write(to: url)
        let original = load([url.path])
        #expect(original.calls.count == 2 && original.messages.count == 3)
        let (reopened, _) = try roundTrip(original, .calls(original, callIDs: ["keep-1"]), .pcapng)
        #expect(reopened.calls.count == 1 && reopened.messages.count == 2)
    }

    /// A nanosecond capture saved as pcap keeps its nanoseconds (a nanosecond pcap), and a
    /// pcapng's own comments (section and packet) are kept beside ours.
    @Test func nanosecondsAndTheCapturesOwnCommentsSurviveASave() throws {
        let frames = try Fixtures.bytes(Fixtures.kamailio("sip-plain-udp.pcap")).withUnsafeBytes { bytes -> [(Timestamp, [UInt8])] in
            var reader = try CaptureFileReader(bytes)
            var out: [(Timestamp, [UInt8])] = []
            while let f = reader.next() { out.append((Timestamp(nanoseconds: f.timestamp.nanoseconds + 123), Array(f.data))) }
            return out
        }
        var nano = PcapWriter(nanosecond: true)
        var ng = PcapngBuilder()
        ng.shb(comments: ["section note"])
        ng.idb(linkType: 1, tsresol: 9)
        for (i, (t, data)) in frames.enumerated() {
            nano.append(data, time: t)
            ng.epb(units: UInt64(t.nanoseconds), data: data, comments: i == 0 ? ["hello comment"] : [])
        }
        let nanoURL = URL(fileURLWithPath: temporaryPath("ns.pcap")), ngURL = URL(fileURLWithPath: temporaryPath("commented.pcapng"))
        try Data(nano.bytes).write(to: nanoURL)
        try Data(ng.bytes).write(to: ngURL)

        let fromPcap = load([nanoURL.path])
        let (reopened, savedPcap) = try roundTrip(fromPcap, .all(fromPcap), .pcap)
        let sameTimes = reopened.messages.count == fromPcap.messages.count
            && zip(reopened.messages, fromPcap.messages).allSatisfy { $0.time == $1.time }
        #expect(sameTimes)
        #expect(reopened.messages.first.map { $0.time.nanoseconds % 1000 } == 123)
        #expect(try Fixtures.bytes(URL(fileURLWithPath: savedPcap)).prefix(4) == [0x4d, 0x3c, 0xb2, 0xa1])

        let fromPcapng = load([ngURL.path])
        let (_, savedPcapng) = try roundTrip(fromPcapng, .all(fromPcapng), .pcapng)
        try Fixtures.bytes(URL(fileURLWithPath: savedPcapng)).withUnsafeBytes { b in
            var reader = try CaptureFileReader(b)
            let first = reader.next()
            #expect(first?.comment?.text.contains("hello comment") == true, "\(String(describing: first?.comment?.text))")
            #expect(reader.fileComments.contains("section note") && reader.fileComments.first?.hasPrefix("hepscope: ") == true,
                    "\(reader.fileComments)")
        }
    }

    @Test func decapsulatedCapturesLoseOnlyTheHEPLayer() throws {
        let original = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let (reopened, _) = try roundTrip(original, .all(original), .pcap, decapsulate: true)
        #expect(ModelPicture(reopened, keepCorrelation: false) == ModelPicture(original, keepCorrelation: false))
        #expect(reopened.orderedGroups.count == 1)  // everything uncorrelated now
        #expect(reopened.origins.all.allSatisfy { $0.hepVersion == 0 })
    }

    @Test func sightingsAndEventsSurviveASave() throws {
        let dup = try Scenarios.write(Scenarios.duplicateSightings())
        let logs = try Scenarios.write(Scenarios.hlogEvents())
        let original = load([dup.path, logs.path])
        for format in [ExportFormat.pcap, .pcapng] {
            let (reopened, _) = try roundTrip(original, .all(original), format)
            #expect(ModelPicture(reopened) == ModelPicture(original))
            #expect(reopened.counters.sightings == original.counters.sightings)
            // The repeated record is written once: the saved file has no duplicate left.
            #expect(original.counters.exactDuplicates == 1 && reopened.counters.exactDuplicates == 0)
            let events = { (s: TraceStore) in s.orderedGroups.reduce(0) { $0 + s.groups[$1].events.count } }
            #expect(events(reopened) == events(original) && events(original) == 5)
        }
    }

    @Test(.enabled(if: Fixtures.publicCapturesFolder != nil, "../shared/captures/public is absent"))
    func publicCapturesRoundTrip() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.publicCapturesFolder!.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        #expect(files.count >= 15)
        for f in files {
            let original = load([Fixtures.publicCapture(f)!.path])
            guard !original.messages.isEmpty else { continue }
            let (reopened, _) = try roundTrip(original, .all(original), .pcapng)
            #expect(ModelPicture(reopened) == ModelPicture(original), "\(f)")
        }
    }
}

/// tshark (installed by .ci/run) must read what we write without a warning.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is not installed"))
struct TsharkReadsOurFilesTests {
    func tshark(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let stderr = String(decoding: e, as: UTF8.self).split(separator: "\n")
            .filter { !$0.contains("Running as user \"root\"") }.joined(separator: "\n")
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), stderr)
    }

    @Test(arguments: [ExportFormat.pcap, .pcapng], [false, true])
    func everyCaptureWeWriteParses(format: ExportFormat, decapsulate: Bool) throws {
        let original = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path, Fixtures.kamailio("sip-plain-tcp.pcap").path])
        let path = temporaryPath("tshark.\(format.rawValue)")
        // pcap needs one link type: both inputs are Ethernet.
        try AtomicFile.write(try format.render(original, .all(original), decapsulate: decapsulate), to: path)
        let info = try tshark(["-r", path, "-q", "-z", "expert,warn"])
        #expect(info.status == 0)
        #expect(info.err.isEmpty, "\(info.err)")
        #expect(!info.out.contains("Warnings ("), "\(info.out)")
        let frames = try tshark(["-r", path, "-T", "fields", "-e", "frame.number"])
        #expect(frames.status == 0 && !frames.out.isEmpty)
        if decapsulate {
            // Plain SIP: tshark finds every message we saved.
            let sip = try tshark(["-r", path, "-Y", "sip", "-T", "fields", "-e", "sip.Call-ID"])
            let ids = sip.out.split(separator: "\n").flatMap { $0.split(separator: ",") }
            #expect(ids.count == original.messages.count)
        }
    }
}

@Suite struct OtherFormatTests {
    static let store = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path])

    @Test func textHasEveryMessageUnderItsHeader() throws {
        let store = Self.store
        let bytes = try ExportFormat.txt.render(store, .all(store))
        let text = String(decoding: bytes, as: UTF8.self)
        let blocks = text.components(separatedBy: "==== ").dropFirst()
        #expect(blocks.count == store.messages.count)
        // Each block: the header line, then the message exactly as it was sent.
        for (block, m) in zip(blocks, ExportSelection.all(store).messages) {
            let r = store.messages[Int(m)]
            let header = block.prefix { $0 != "\n" }
            #expect(header.hasPrefix(TextReport.clock(r.time)))
            #expect(header.contains("\(store.endpoints[r.source]) -> \(store.endpoints[r.destination]) UDP correlation tb-"))
            let body = String(block.drop { $0 != "\n" }.dropFirst())
            let original = String(decoding: store.payload(of: r), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            #expect(body.hasPrefix(original))
        }
    }

    @Test func jsonIsThePrintDocumentOfTheSelection() throws {
        let store = Self.store
        let summary = InputSummary(counters: DecodeCounters(), sources: [], warnings: [])
        let saved = try JSONSerialization.jsonObject(with: Data(try ExportFormat.json.render(store, .all(store), input: summary))) as! [String: Any]
        let printed = try JSONSerialization.jsonObject(with: Data(JSONReport.render(store, input: summary).utf8)) as! [String: Any]
        #expect(NSDictionary(dictionary: saved).isEqual(to: printed))
        let one = try JSONSerialization.jsonObject(with: Data(try ExportFormat.json.render(store, .groups(store, ids: ["tb-20261127T015517Z-udp-b"])))) as! [String: Any]
        let groups = one["groups"] as! [[String: Any]]
        #expect(groups.count == 1 && (groups[0]["calls"] as! [Any]).count == 20)
    }

    @Test func mermaidHasAParticipantPerEndpointAndAnArrowPerMessage() throws {
        let store = Self.store
        let selection = ExportSelection.calls(store, callIDs: ["udp-reinv-1-643@127.0.0.1"])
        let text = String(decoding: try ExportFormat.mermaid.render(store, selection), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "sequenceDiagram")
        #expect(lines.filter { $0.hasPrefix("    participant ") }.count == 3)
        #expect(lines.filter { $0.contains("->>") }.count == selection.messages.count)
        #expect(lines.contains("    P0->>P1: INVITE (1 INVITE)"))
        #expect(lines.contains { $0.hasSuffix(": 200 OK (2 INVITE)") })
    }

    @Test func svgIsWellFormedWithAnArrowPerMessage() throws {
        let store = Self.store
        let selection = ExportSelection.groups(store, ids: ["tb-20261127T015517Z-udp-b"])
        let bytes = try ExportFormat.svg.render(store, selection)
        let parser = XMLParser(data: Data(bytes))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: "<g class=\"arrow\"").count - 1 == selection.messages.count)
        #expect(text.contains("<title>SIP/2.0 486 Busy Here"))
    }

    @Test func htmlCarriesTheMessagesForTheClickedArrows() throws {
        let store = Self.store
        let selection = ExportSelection.calls(store, callIDs: ["udp-busy-1-642@127.0.0.1"])
        let page = String(decoding: try ExportFormat.html.render(store, selection), as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.components(separatedBy: "class=\"arrow\" data-index=").count - 1 == 4)
        #expect(page.contains("SIP/2.0 486 Busy Here"))
        #expect(!page.contains("</script>\n</body>") || page.components(separatedBy: "</script>").count == 2)
    }

    @Test func textLadderIsTheViewersDrawing() throws {
        let store = Self.store
        let selection = ExportSelection.calls(store, callIDs: ["udp-busy-1-642@127.0.0.1"])
        let ascii = String(decoding: try ExportFormat.ladder.render(store, selection, ascii: true), as: UTF8.self)
        #expect(ascii.contains("|<---486 Busy Here------|"))
        #expect(!ascii.contains("│"))
    }
}

@Suite struct ExportErrorTests {
    @Test func emptySelectionWritesNothing() throws {
        let store = load([Fixtures.kamailio("hep-kamailio-udp.pcap").path])
        let none = ExportSelection.calls(store, callIDs: ["no-such-call"])
        for format in ExportFormat.allCases {
            #expect(throws: ExportError("nothing to save: the selection is empty")) {
                _ = try format.render(store, none)
            }
        }
    }

    /// A made-up frame given another link type's header decodes to the same addresses and
    /// payload under that link type, for IPv4 and IPv6.
    @Test(arguments: [UInt32(12), 14, 101, 228, 229, 113, 276, 0, 108])
    func madeUpFramesTakeTheCapturesLinkType(_ link: UInt32) {
        let payload = Array("OPTIONS sip:x SIP/2.0\r\nCall-ID: l@x\r\n\r\n".utf8)
        let pairs = [(Endpoint(address: .v4(0x0a00_0001), port: 5060), Endpoint(address: .v4(0x0a00_0002), port: 5062)),
                     (Endpoint(address: .v6(high: 0x2001_0db8 << 32, low: 1), port: 5060),
                      Endpoint(address: .v6(high: 0x2001_0db8 << 32, low: 2), port: 5062))]
        for (src, dst) in pairs {
            let ethernet = FrameBuilder.udp(from: src, to: dst, payload: payload)
            let isV4 = { if case .v4 = src.address { return true } else { return false } }()
            guard let framed = SyntheticFrames.relinked(ethernet, to: link) else {
                #expect(link == 228 && !isV4 || link == 229 && isV4, "link \(link) refused")
                continue
            }
            var dissector = NetworkDissector()
            var counters = DecodeCounters()
            var seen: [(Endpoint, Endpoint, [UInt8])] = []
            framed.withUnsafeBytes { bytes in
                dissector.dissect(linkType: link, frame: bytes, timestamp: Timestamp(nanoseconds: 0), frameNumber: 1,
                                  counters: &counters) { seen.append(($0.source, $0.destination, Array($0.payload))) }
            }
            #expect(seen.count == 1 && seen.first?.0 == src && seen.first?.1 == dst && seen.first?.2 == payload, "link \(link)")
        }
        #expect(SyntheticFrames.relinked(FrameBuilder.udp(from: pairs[0].0, to: pairs[0].1, payload: payload), to: 147) == nil)
    }

    @Test func unwritablePlacesLeaveNoFileBehind() throws {
        #expect(throws: ExportError.self) { try AtomicFile.write([1, 2, 3], to: "/nonexistent-folder/out.pcap") }
        let dir = temporaryPath("readonly")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o500)
        defer { chmod(dir, 0o700) }
        // root may write anywhere; the check only means something for other users.
        if getuid() != 0 {
            #expect(throws: ExportError.self) { try AtomicFile.write([1], to: dir + "/x.pcap") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    /// A symbolic link stays and its target gets the bytes; a device or a pipe is written to,
    /// never replaced by a file (as root, /dev/null would otherwise become one).
    @Test func whatSitsAtTheNameIsWrittenThroughNotReplaced() throws {
        let dir = temporaryPath("through")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write([1], to: dir + "/target.pcap")
        #expect(symlink("target.pcap", dir + "/link.pcap") == 0)
        try AtomicFile.write([4, 5, 6], to: dir + "/link.pcap")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.pcap") == "target.pcap")
        #expect(FileManager.default.contents(atPath: dir + "/target.pcap") == Data([4, 5, 6]))
        // A link made before the first save: the file it names is created, the link stays.
        #expect(symlink("first.pcap", dir + "/latest.pcap") == 0)
        try AtomicFile.write([7, 8], to: dir + "/latest.pcap")
        #expect(FileManager.default.contents(atPath: dir + "/first.pcap") == Data([7, 8]))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest.pcap") == "first.pcap")
        #expect(symlink("missing/x.pcap", dir + "/dangling.pcap") == 0)
        #expect(throws: ExportError.self) { try AtomicFile.write([1], to: dir + "/dangling.pcap") }
        // A pipe reached through a link, as /dev/stdout is when output is piped.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        try AtomicFile.write([1, 2, 3], to: "/proc/self/fd/\(ends[1])")
        var got = [UInt8](repeating: 0, count: 8)
        #expect(Glibc.read(ends[0], &got, 8) == 3 && got.prefix(3) == [1, 2, 3])
        close(ends[0]); close(ends[1])

        // The null and full devices made again in the test's folder (as root), so that a
        // mistake here cannot replace the system's own.
        var info = stat()
        // Device numbers 1,3 and 1,7 as Linux packs them (major << 8 | minor for small ones).
        if mknod(dir + "/null", S_IFCHR | 0o666, 0x103) == 0, mknod(dir + "/full", S_IFCHR | 0o666, 0x107) == 0 {
            try AtomicFile.write([1, 2, 3], to: dir + "/null")
            #expect(stat(dir + "/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
            #expect(throws: ExportError("\(dir)/full: cannot write: No space left on device")) {
                try AtomicFile.write([1, 2, 3], to: dir + "/full")
            }
            #expect(stat(dir + "/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        }

        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Nobody reading: an error at once, not a wait.
        #expect(throws: ExportError("\(fifo): cannot write: no program is reading it")) { try AtomicFile.write([1], to: fifo) }
        nonisolated(unsafe) var read: Data?
        Thread { read = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() }.start()
        let payload = [UInt8](repeating: 9, count: 100_000)  // more than a pipe holds at once
        // Written once the reader has the FIFO open (its thread may not have got there yet).
        func writeOnceRead() throws(ExportError) {
            var last = ExportError("never tried")
            for _ in 0..<200 {
                do {
                    try AtomicFile.write(payload, to: fifo)
                    return
                } catch {
                    guard error.description.hasSuffix("no program is reading it") else { throw error }
                    last = error
                    usleep(10_000)
                }
            }
            throw last
        }
        try writeOnceRead()
        for _ in 0..<200 where read == nil { usleep(10_000) }
        #expect(read == Data(payload))
        #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        // A reader that leaves early: an error, and the program goes on.
        Thread {
            let fd = open(fifo, O_RDONLY)
            var first = [UInt8](repeating: 0, count: 10)
            _ = Glibc.read(fd, &first, 10)
            close(fd)
        }.start()
        #expect(throws: ExportError("\(fifo): cannot write: Broken pipe")) { try writeOnceRead() }
    }

    @Test(.enabled(if: getuid() == 0, "needs root to mount a tiny file system"))
    func fullDiskLeavesNoPartialFile() throws {
        let dir = temporaryPath("full")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { return }  // no mounting here (a container): nothing to show
        defer {
            let u = Process()
            u.executableURL = URL(fileURLWithPath: "/bin/umount")
            u.arguments = [dir]
            try? u.run()
            u.waitUntilExit()
        }
        let big = [UInt8](repeating: 7, count: 200_000)
        #expect(throws: ExportError.self) { try AtomicFile.write(big, to: dir + "/big.pcap") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        try AtomicFile.write([1, 2, 3], to: dir + "/small.pcap")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["small.pcap"])
    }
}
