import Foundation
import WireDecoding

/// Synthetic captures for what the Kamailio recordings do not contain: cross-leg links, capture
/// points that see the same message, forking, cancellation, retransmissions, HEP log events,
/// reused Call-IDs. Each function returns the pcap bytes and the facts a test can assert on.
///
/// Shared conventions:
/// - time zero is `1_800_000_000` s (2027-01-15 08:00:00 UTC); every offset is whole milliseconds;
/// - addresses are documentation ranges: phones and SBCs in 192.0.2.0/24, capture agents and the
///   HEP collector (198.51.100.100:9060) in 198.51.100.0/24, media relays in 203.0.113.0/24;
/// - plain-SIP scenarios write one Ethernet/IPv4/UDP frame per message, SIP endpoint to SIP endpoint;
///   HEP scenarios write one HEPv3 packet per sighting, capture agent to collector, with the frame
///   time equal to the HEP timestamp;
/// - a basic call is INVITE (t), 100 (+5), 180 (+120), 200 with SDP (+1120), ACK (+1125),
///   BYE (+4120), 200 (+4125): PDD 120 ms, set-up 1120 ms, duration 3000 ms.
public enum Scenarios {
    /// Every scenario, for tests that check what they all have in common.
    public static func all() -> [ScenarioCapture] {
        [
            xcidChain(), outOfOrderLinks(), sessionIDAndICID(), duplicateSightings(), forkedInvite(),
            cancelledCall(), hlogEvents(), retransmissions(), registerAndOptions(), callStates(),
            reusedCallIDAcrossSessions(),
        ]
    }

    /// Where `write` puts files: the test process's own folder, so parallel runs do not meet.
    public static let outputFolder: URL = TestFolder.url.appendingPathComponent("scenarios")

    /// Writes `bytes` as `name` (e.g. "xcid-chain.pcap") in `outputFolder`, for tests that run the
    /// command line on a file.
    @discardableResult
    public static func write(_ bytes: [UInt8], name: String) throws -> URL {
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        let url = outputFolder.appendingPathComponent(name)
        // Whole or not at all: parallel tests may write the same fixture while another reads it.
        try TestFolder.writeWhole(bytes, to: url)
        return url
    }

    /// Writes the scenario's pcap as `<name>.pcap`.
    @discardableResult
    public static func write(_ scenario: ScenarioCapture) throws -> URL {
        try write(scenario.pcap, name: scenario.name + ".pcap")
    }
}

// The cast, shared by the scenarios.
extension UserAgent {
    static let alice = UserAgent(user: "alice", display: "Alice", endpoint: ipv4("192.0.2.10", 5060),
                                 product: "sipp-uac testbed", mediaPort: 49170)
    static let bob = UserAgent(user: "bob", display: "Bob", endpoint: ipv4("192.0.2.20", 5060),
                               product: "sipp-uas testbed", mediaPort: 51372)
    /// A Kamailio proxy and registrar; also the HEP agent of the HEP scenarios.
    static let proxy = UserAgent(user: "proxy", endpoint: ipv4("192.0.2.1", 5060),
                                 product: "kamailio (5.6.3 (x86_64/linux))")
}

extension CaptureAgent {
    static let edge = CaptureAgent(captureID: 1, node: "edge", address: ipv4("198.51.100.11", 9060))
    static let core = CaptureAgent(captureID: 2, node: "core", address: ipv4("198.51.100.12", 9060), delayMs: 3)
    static let rtpengine = CaptureAgent(captureID: 1, node: nil, address: ipv4("203.0.113.5", 2223))
}
