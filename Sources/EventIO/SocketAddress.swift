// SocketAddress: an IPv4 or IPv6 address with a TCP port, as a small value.
//
// Contract:
// - It is the socket form of the configuration's `SocketAddressSpec` and of `IPAddress`, made from
//   their bytes (`init(_:)`, `ipAddress`): an address is parsed once, from the configuration, and
//   never again from its own text. `description` prints `192.0.2.1:25` / `[2001:db8::1]:25`.
// - An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) read from the kernel becomes `.ipv4`, so a
//   client is shown, matched and rate-limited the same way whichever listener accepted it.
// - `withSockAddr` gives the C form for bind/connect; `init?(storage:)` reads the C form back.
//
// Why integers, not `[UInt8]`: one is stored in every connection; no heap allocation per address.
import Glibc
import NetworkAddress

public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// `address` in host byte order (192.0.2.1 is 0xC000_0201).
    case ipv4(address: UInt32, port: UInt16)
    /// The 16 address bytes as two big-endian halves; `scopeID` is the interface for link-local.
    case ipv6(high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32 = 0)

    /// The socket form of an address: by its bytes, never through text.
    public init(_ address: IPAddress, port: UInt16) {
        if address.isIPv4 {
            self = .ipv4(address: address.ipv4Value, port: port)
        } else {
            self = .ipv6(high: address.high, low: address.low, port: port)
        }
    }

    /// The socket form of a configured `HOST:PORT` (`listen`, `backend`, `dns_servers`).
    public init(_ spec: SocketAddressSpec) {
        self.init(spec.address, port: spec.port)
    }

    /// `192.0.2.1:25` or `[2001:db8::1]:25`, parsed as the configuration parses them (port 0,
    /// "the kernel picks", allowed).
    public init?(_ text: String) {
        guard let spec = SocketAddressSpec(text, allowingPortZero: true) else { return nil }
        self.init(spec)
    }

    /// The address without the port (an IPv4-mapped address already as IPv4).
    public var ipAddress: IPAddress {
        switch self {
        case .ipv4(let address, _): IPAddress(ipv4Value: address)
        case .ipv6(let high, let low, _, _): IPAddress(ipv6High: high, low: low)
        }
    }

    /// Reads an AF_INET or AF_INET6 `sockaddr`; nil for other families.
    public init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let v4 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self = .ipv4(address: UInt32(bigEndian: v4.sin_addr.s_addr), port: UInt16(bigEndian: v4.sin_port))
        case AF_INET6:
            let v6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            self = SocketAddress.fromIPv6(v6.sin6_addr, port: UInt16(bigEndian: v6.sin6_port), scopeID: v6.sin6_scope_id)
        default:
            return nil
        }
    }

    public var port: UInt16 {
        switch self {
        case .ipv4(_, let port): port
        case .ipv6(_, _, let port, _): port
        }
    }

    public var isIPv6: Bool {
        switch self {
        case .ipv4: false
        case .ipv6: true
        }
    }

    /// The numeric host without brackets or port: "192.0.2.1", "2001:db8::1".
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch self {
        case .ipv4(let address, _):
            var v4 = in_addr(s_addr: address.bigEndian)
            inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
        case .ipv6:
            var v6 = in6Address
            inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String {
        switch self {
        case .ipv4: "\(host):\(port)"
        case .ipv6: "[\(host)]:\(port)"
        }
    }

    /// The address family constant (AF_INET or AF_INET6).
    public var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }

    /// Calls `body` with this address as a C `sockaddr` and its length.
    public func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch self {
        case .ipv4(let address, let port):
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            v4.sin_addr = in_addr(s_addr: address.bigEndian)
            return withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6(_, _, let port, let scopeID):
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            v6.sin6_addr = in6Address
            v6.sin6_scope_id = scopeID
            return withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    private var in6Address: in6_addr {
        var result = in6_addr()
        guard case .ipv6(let high, let low, _, _) = self else { return result }
        withUnsafeMutableBytes(of: &result) { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return result
    }

    private static func fromIPv6(_ v6: in6_addr, port: UInt16, scopeID: UInt32) -> SocketAddress {
        let (high, low) = withUnsafeBytes(of: v6) {
            (UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if high == 0, low >> 32 == 0xFFFF {  // ::ffff:a.b.c.d
            return .ipv4(address: UInt32(truncatingIfNeeded: low), port: port)
        }
        return .ipv6(high: high, low: low, port: port, scopeID: scopeID)
    }
}
