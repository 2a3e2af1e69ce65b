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
