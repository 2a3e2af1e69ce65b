import NIOCore
import NIOPosix

/// Whether a relay target is one of the run's own listeners, so that every packet it forwards
/// would come straight back and go round for ever. Names and addresses are compared by what
/// they resolve to: `localhost`, 127.0.0.1 and this machine's LAN address all reach a listener
/// bound to every address (0.0.0.0 or ::).
public enum RelayLoop {
    public static func reaches(_ target: HEPRelay.Target, _ listener: SourceSpec) -> Bool {
        let (targetHost, targetPort, listenHost, listenPort): (String, Int, String, Int)
        switch (target, listener) {
        case (.udp(let host, let port), .udp(let lHost, let lPort)),
             (.tcp(let host, let port), .tcp(let lHost, let lPort)):
            (targetHost, targetPort, listenHost, listenPort) = (host, port, lHost, lPort)
        default:
            return false
        }
        guard targetPort == listenPort, let destination = address(of: targetHost) else { return false }
        guard let bound = address(of: listenHost) else { return false }
        guard isWildcard(bound) else { return destination == bound || isWildcard(destination) && isLoopback(bound) }
        // A wildcard IPv4 socket takes IPv4 only; a wildcard IPv6 one takes both (Linux's default).
        if bound.protocol == .inet, destination.protocol != .inet { return false }
        return isLoopback(destination) || localAddresses().contains(destination)
    }

    /// The host's first address, port left out of comparisons; nil when it does not resolve.
    static func address(of host: String) -> SocketAddress? {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return try? SocketAddress.makeAddressResolvingHost(name.isEmpty ? "0.0.0.0" : name, port: 0)
    }

    static func isWildcard(_ address: SocketAddress) -> Bool {
        address.ipAddress == "0.0.0.0" || address.ipAddress == "::"
    }

    /// Sent to, the wildcard address reaches this machine too (Linux takes 0.0.0.0 and :: as it).
    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.") || isWildcard(address)
    }

    /// The addresses of this machine's interfaces, port 0 like `address(of:)`.
    static func localAddresses() -> [SocketAddress] {
        ((try? System.enumerateDevices()) ?? []).compactMap { device in
            device.address?.ipAddress.flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
        }
    }
}
