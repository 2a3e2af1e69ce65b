@testable import CaptureIngest
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Gzip files and pipes are inflated or read into an unlinked temporary file and mapped from
/// there, so their payloads stay on disk like a plain capture's; where no such file can be
/// written, the bytes stay in memory and nothing is lost either way.
@Suite struct SpoolFileTests {
    static let capture = Fixtures.kamailio("hep-kamailio-udp.pcap")

    func bytes(_ input: InputBytes) -> [UInt8] { input.withBytes { [UInt8]($0) } }

    /// The bytes come through a pipe written by another thread, as `cat file | hepscope print -`.
    func throughPipe(_ bytes: [UInt8]) throws -> InputBytes {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let writer = Thread {
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + off, min(65_536, bytes.count - off)) }
                guard n > 0 else { break }
                off += n
            }
            close(writeEnd)
        }
        writer.start()
        defer { close(readEnd) }
        return try InputBytes.fromDescriptor(readEnd, name: "stdin")
    }

    @Test func gzipFileIsInflatedIntoAMappedFile() throws {
        let plain = try Fixtures.bytes(Self.capture)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-spool-\(UUID().uuidString).pcap.gz")
        try Data(try Fixtures.gzipped(Self.capture)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let input = try InputBytes.open(url.path)
        #expect(input.wasCompressed)
        #expect(input.isFileBacked)
        #expect(input.count == plain.count)
        #expect(bytes(input) == plain)
    }

    @Test func pipeIsReadIntoAMappedFile() throws {
        let plain = try Fixtures.bytes(Self.capture)
        let input = try throughPipe(plain)
        #expect(!input.wasCompressed)
        #expect(input.isFileBacked)
        #expect(bytes(input) == plain)
    }

    @Test func gzipThroughAPipeIsInflated() throws {
        let plain = try Fixtures.bytes(Self.capture)
        let input = try throughPipe(try Fixtures.gzipped(Self.capture))
        #expect(input.wasCompressed)
        #expect(input.isFileBacked)
        #expect(bytes(input) == plain)
    }

    @Test func withoutAWritableDirectoryTheBytesStayInMemory() throws {
        let plain = try Fixtures.bytes(Self.capture)
        var spool = SpoolFile(directories: ["/nonexistent-\(UUID().uuidString)"])
        let fileBacked = spool.isFileBacked
        #expect(!fileBacked)
        plain.withUnsafeBytes { spool.append($0) }
        let input = try spool.finish(name: "x", compressed: false)
        #expect(!input.isFileBacked)
        #expect(bytes(input) == plain)
    }

    /// A disk that fills up half way: what was written is read back and the rest joins it in memory.
    @Test func aFailingFileGivesWayToMemoryWithNothingLost() throws {
        let plain = try Fixtures.bytes(Self.capture)
        var spool = SpoolFile(directories: [FileManager.default.temporaryDirectory.path], room: { _ in Int.max / 2 })
        let fileBackedBefore = spool.isFileBacked
        #expect(fileBackedBefore)
        let half = plain.count / 2
        plain.withUnsafeBytes { spool.append($0.slice(0..<half)) }
        spool.moveToMemory()
        let fileBackedAfter = spool.isFileBacked
        #expect(!fileBackedAfter)
        plain.withUnsafeBytes { spool.append($0.slice(half..<plain.count)) }
        let count = spool.count
        #expect(count == plain.count)
        let input = try spool.finish(name: "x", compressed: false)
        #expect(bytes(input) == plain)
    }

    @Test func spoolFileLeavesNothingInItsDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hepscope-spool-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        var spool = SpoolFile(directories: [dir.path], room: { _ in Int.max / 2 })
        let fileBacked = spool.isFileBacked
        #expect(fileBacked)
        [UInt8](repeating: 7, count: 10_000).withUnsafeBytes { spool.append($0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let input = try spool.finish(name: "x", compressed: false)
        #expect(input.isFileBacked)
        #expect(bytes(input) == [UInt8](repeating: 7, count: 10_000))
    }
}
