/// How a SIP message travelled, as the user wants to see it.
public enum SIPTransport: UInt8, Sendable, CaseIterable {
    case udp, tcp, tls, sctp, ws, wss

    public var name: String {
        switch self {
        case .udp: "UDP"
        case .tcp: "TCP"
        case .tls: "TLS"
        case .sctp: "SCTP"
        case .ws: "WS"
        case .wss: "WSS"
        }
    }

    public init?(name: String) {
        guard let t = SIPTransport.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = t
    }
}

/// The layer-4 protocol a capture frame carried.
public enum TransportProtocol: UInt8, Sendable {
    case udp, tcp, sctp
}
