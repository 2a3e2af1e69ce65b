// swift-tools-version: 6.1
import PackageDescription

// Layers, bottom to top: WireDecoding (bytes in, values out) -> TraceModel (groups, calls)
// -> TraceOutput (text/JSON renderings) and CaptureIngest (files, streams) -> the `hepscope`
// executable, which only parses the command line and wires them together.
let package = Package(
    name: "hepscope",
    products: [
        .executable(name: "hepscope", targets: ["hepscope"]),
        .library(name: "WireDecoding", targets: ["WireDecoding"]),
        .library(name: "TraceModel", targets: ["TraceModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // zlib, for HEP compressed payloads (chunk 0x10) and gzip-compressed capture files.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // ncursesw, the only place the terminal front end touches C (used by the UI layer).
        .systemLibrary(name: "CNCursesW", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        // glibc's allocator controls: a finished load gives the heap its batches used back.
        .systemLibrary(name: "CMalloc"),
        // fallocate's punch hole: a live session's spool file gives evicted payloads' space back.
        .systemLibrary(name: "CFileSpace"),

        .target(name: "WireDecoding", dependencies: ["CZlib"]),
        .target(name: "TraceModel", dependencies: ["WireDecoding"]),
        .target(name: "TraceOutput", dependencies: ["TraceModel", "WireDecoding"]),
        .target(name: "CaptureIngest", dependencies: ["WireDecoding", "TraceModel", "CMalloc", "CFileSpace"]),
        .target(name: "Benchmarking", dependencies: ["CaptureIngest", "TraceModel", "TraceViewer"]),
        // Saving selections: pcap/pcapng (original frames or decapsulated), text, JSON, ladders.
        .target(name: "TraceExport", dependencies: ["TraceModel", "TraceOutput", "WireDecoding"]),
        // Network listeners (UDP, TCP, TLS), relay and recording, on SwiftNIO's event loops.
        .target(
            name: "LiveIngest",
            dependencies: [
                "CaptureIngest", "WireDecoding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The viewer: pure state, events and screens drawn into a cell grid (no terminal).
        .target(name: "TraceViewer", dependencies: ["CaptureIngest", "TraceExport", "TraceModel", "TraceOutput", "WireDecoding"]),
        // The ncursesw backend: draws grids, reads keys, runs the event loop.
        .target(name: "TerminalBackend", dependencies: ["CNCursesW", "TraceViewer", "TraceExport", "CaptureIngest"]),
        .executableTarget(
            name: "hepscope",
            dependencies: [
                "Benchmarking", "CaptureIngest", "LiveIngest", "TraceExport", "TerminalBackend", "TraceModel", "TraceOutput",
                "TraceViewer", "WireDecoding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // A recorded Kamailio test session, replayed by `hepscope --demo`.
            resources: [.copy("Resources/hep-kamailio-udp.pcap")]
        ),

        // Coverage-guided fuzzing (Scripts/fuzz.sh): shared helpers; the targets are added below.
        .target(name: "FuzzSupport", dependencies: ["WireDecoding", "TraceModel"], path: "Sources/Fuzz/FuzzSupport"),

        .target(name: "TestSupport", dependencies: ["WireDecoding"], path: "Tests/TestSupport"),
        .testTarget(name: "WireDecodingTests", dependencies: ["WireDecoding", "TestSupport"]),
        .testTarget(name: "TraceModelTests", dependencies: ["TraceModel", "CaptureIngest", "TestSupport"]),
        .testTarget(name: "TraceExportTests", dependencies: ["TraceExport", "CaptureIngest", "TraceModel", "TraceOutput", "TestSupport"]),
        .testTarget(name: "LiveIngestTests", dependencies: ["LiveIngest", "CaptureIngest", "TraceModel", "TestSupport"]),
        .testTarget(
            name: "TraceViewerTests", dependencies: ["TraceViewer", "CaptureIngest", "TraceModel", "TestSupport"],
            exclude: ["Snapshots"]  // golden screens, read from the source tree
        ),
        .testTarget(
            name: "HepscopeCommandTests",
            dependencies: ["Benchmarking", "CaptureIngest", "TraceModel", "TraceOutput", "TestSupport", "WireDecoding", "hepscope"]
        ),
    ]
)

// libFuzzer targets, one folder each under Sources/Fuzz. A normal build makes them replay the
// files named on their command line; Scripts/fuzz.sh builds them with -sanitize=fuzzer,address.
// Adding a target: Sources/Fuzz/<Name>/main.swift and one line here.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Sources/Fuzz/\(name)")
}
package.targets += [
    fuzzTarget("HEPDecoderFuzz", ["WireDecoding", "TraceModel"]),
    fuzzTarget("CaptureFileFuzz", ["WireDecoding", "TraceModel"]),
    fuzzTarget("TCPStreamFuzz", ["WireDecoding", "TraceModel"]),
    fuzzTarget("SIPParserFuzz", ["WireDecoding", "TraceModel"]),
    fuzzTarget("FilterParserFuzz", ["WireDecoding", "TraceModel"]),
]
