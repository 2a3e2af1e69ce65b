import Foundation

/// One scratch folder per test process under the system's temporary folder, removed when the
/// process exits, so that test runs do not leave files behind in /tmp.
public enum TestFolder {
    /// The folder; created on first use.
    public static let url: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hepscope-tests-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestFolder.url) }
        return url
    }()

    /// A fresh path in the folder ending in `name`; nothing is created there.
    public static func path(_ name: String) -> String {
        url.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    /// Writes `bytes` at `url` through a temporary name and a rename, so that a reader in a
    /// parallel test sees the whole file or none of it.
    public static func writeWhole(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.path + ".\(UUID().uuidString).part"
        // A plain write (createFile and .atomic make a folder of their own in /tmp on Linux).
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, url.path) == 0 else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            unlink(temporary)
            throw error
        }
    }
}
