import Foundation

/// Where test inputs live. Kamailio recordings are copied under Tests/Fixtures; the public sample
/// captures are read in place from ../shared/captures/public next to the checkout, and tests that
/// need them report a skip when that folder is absent.
public enum Fixtures {
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static func kamailio(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures/kamailio/\(name)")
    }

    public static func generated(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures/generated/\(name)")
    }

    /// ../shared/captures/public beside the checkout, or nil when it is not there.
    public static let publicCapturesFolder: URL? = {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/captures/public")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }()

    public static func publicCapture(_ name: String) -> URL? {
        publicCapturesFolder?.appendingPathComponent(name)
    }

    public static func bytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }
}

extension Fixtures {
    /// The HEP packets of `hep-raw-udp.bin`: records of a 4-byte big-endian length, then the
    /// packet exactly as a collector received it from Kamailio.
    public static func rawHEPPackets() throws -> [[UInt8]] {
        let data = try bytes(kamailio("hep-raw-udp.bin"))
        var packets: [[UInt8]] = []
        var at = 0
        while at + 4 <= data.count {
            let n = Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
            at += 4
            guard at + n <= data.count else { break }
            packets.append(Array(data[at..<at + n]))
            at += n
        }
        return packets
    }

    /// Reads a `*.truth.json` file as plain dictionaries.
    public static func truth(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: kamailio(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The file's bytes compressed by the system's gzip, as a user's `.pcap.gz` would be.
    public static func gzipped(_ file: URL) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-c", file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }
}
