import RelayPolicy
import SMTPProtocol
import NetworkAddress

/// The first bytes the backend receives on a session's link: how it learns the real client
/// (`backend_client_identity`, relayguard.conf(5) and docs/ARCHITECTURE.md, protocol safety).
///
/// Why this matters: without it the backend sees every client as relayguard's own address,
/// and a backend that trusts that address (mynetworks) would relay for anyone.
public enum ClientIdentityHeader {
    /// The HAProxy PROXY protocol signature of version 2.
    static let proxyV2Signature = ClientPreamble.proxyV2Signature

    /// The header to send right after connecting, or nil when nothing is sent before the
    /// backend's greeting (`xclient` sends its command after the greeting; `none` sends nothing).
    public static func preamble(_ identity: BackendClientIdentity, client: IPAddress, clientPort: UInt16,
                                server: IPAddress, serverPort: UInt16) -> [UInt8]? {
        switch identity {
        case .proxyV1: return proxyV1(client: client, clientPort: clientPort, server: server, serverPort: serverPort)
        case .proxyV2: return proxyV2(client: client, clientPort: clientPort, server: server, serverPort: serverPort)
        case .xclient, .none: return nil
        }
    }

    /// `PROXY TCP4 203.0.113.5 192.0.2.25 40000 25\r\n` (or TCP6).
    static func proxyV1(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16) -> [UInt8] {
        let pair = EndpointPair(client, server)
        let family = pair.isIPv4 ? "TCP4" : "TCP6"
        return Array("PROXY \(family) \(pair.sourceText) \(pair.destinationText) \(clientPort) \(serverPort)\r\n".utf8)
    }

    /// The binary version 2 header: signature, PROXY command over TCP, addresses and ports.
    static func proxyV2(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16) -> [UInt8] {
        let pair = EndpointPair(client, server)
        var header = proxyV2Signature
        header.append(0x21)                        // version 2, command PROXY
        header.append(pair.isIPv4 ? 0x11 : 0x21)   // TCP over IPv4 / IPv6
        let length = pair.isIPv4 ? 12 : 36
        header.append(UInt8(length >> 8))
        header.append(UInt8(length & 0xFF))
        header.append(contentsOf: pair.sourceBytes)
        header.append(contentsOf: pair.destinationBytes)
        header.append(UInt8(clientPort >> 8)); header.append(UInt8(clientPort & 0xFF))
        header.append(UInt8(serverPort >> 8)); header.append(UInt8(serverPort & 0xFF))
        return header
    }

    /// `XCLIENT NAME=[UNAVAILABLE] ADDR=203.0.113.5 PORT=40000\r\n` (Postfix XCLIENT;
    /// IPv6 addresses carry the `IPV6:` prefix). Sent after the backend's greeting; the
    /// backend answers with a fresh 220.
    public static func xclientCommand(client: IPAddress, clientPort: UInt16) -> [UInt8] {
        let address = client.isIPv4 ? client.description : "IPV6:" + client.description
        return Array("XCLIENT NAME=[UNAVAILABLE] ADDR=\(address) PORT=\(clientPort)\r\n".utf8)
    }

    /// Client and server addresses in one family: an IPv4 client on an IPv6 listener (or the
    /// reverse) is sent as IPv4-mapped IPv6, since both headers carry a single family.
    private struct EndpointPair {
        let isIPv4: Bool
        let sourceBytes: [UInt8], destinationBytes: [UInt8]
        let sourceText: String, destinationText: String

        init(_ source: IPAddress, _ destination: IPAddress) {
            isIPv4 = source.isIPv4 && destination.isIPv4
            (sourceBytes, sourceText) = Self.render(source, asIPv6: !isIPv4)
            (destinationBytes, destinationText) = Self.render(destination, asIPv6: !isIPv4)
        }

        private static func render(_ address: IPAddress, asIPv6: Bool) -> ([UInt8], String) {
            guard asIPv6, address.isIPv4 else { return (address.bytes, address.description) }
            return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + address.bytes, "::ffff:" + address.description)
        }
    }
}
