#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The entry point of a fuzz target in a normal build, where libFuzzer is not linked in: runs
/// the target's function once per file named on the command line (folders: every file in them),
/// so a crash file or a whole corpus can be replayed under a debugger or a debug build.
public enum FuzzReplay {
    public typealias TestOneInput = (UnsafePointer<UInt8>, Int) -> CInt

    public static func main(_ testOneInput: TestOneInput) {
        let paths = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") }
        guard !paths.isEmpty else {
            let name = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "fuzz target"
            print("usage: \(name) FILE-OR-FOLDER... (runs each input once; Scripts/fuzz.sh builds the fuzzer)")
            exit(64)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("\(file): cannot be read")
                    exit(2)
                }
                run(testOneInput, [UInt8](data))
                count += 1
            }
        }
        print("\(count) inputs ran without a finding")
    }

    /// Runs one input through the target from a heap buffer of exactly its size, as libFuzzer
    /// does, so that a read past its end is caught by the address sanitizer when enabled.
    public static func run(_ testOneInput: TestOneInput, _ bytes: [UInt8]) {
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { copy.deallocate() }
        copy.initialize(from: bytes, count: bytes.count)
        _ = testOneInput(copy, bytes.count)
    }

    private static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
