// SocketAddress: an IPv4 or IPv6 address with a TCP port, as a small value.
//
// Contract:
// - `SocketAddress("192.0.2.1:25")`, `SocketAddress("[2001:db8::1]:25")` parse numeric text only
//   (no DNS: resolving a name would block the loop); `description` prints the same forms, which is
//   also how log records show a client (`[addr]:port` in Postfix terms, IPv4 without brackets).
// - An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) read from the kernel becomes `.ipv4`, so a
//   client is shown, matched and rate-limited the same way whichever listener accepted it.
// - `withSockAddr` gives the C form for bind/connect; `init?(storage:)` reads the C form back.
//
// Why integers, not `[UInt8]`: one is stored in every connection; no heap allocation per address.
import Glibc

public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// `address` in host byte order (192.0.2.1 is 0xC000_0201).
    case ipv4(address: UInt32, port: UInt16)
    /// The 16 address bytes as two big-endian halves; `scopeID` is the interface for link-local.
    case ipv6(high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32 = 0)

    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }  // bare IPv6 needs brackets
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(portText) else { return nil }
        self.init(host: String(host), port: port)
    }

    /// `host` is a numeric IPv4 or IPv6 address (no brackets).
    public init?(host: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self = .ipv4(address: UInt32(bigEndian: v4.s_addr), port: port)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            self = SocketAddress.fromIPv6(v6, port: port, scopeID: 0)
            return
        }
        return nil
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

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8] {
        switch self {
        case .ipv4(let address, _):
            withUnsafeBytes(of: address.bigEndian) { Array($0) }
        case .ipv6(let high, let low, _, _):
            withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
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
    var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }

    /// Calls `body` with this address as a C `sockaddr` and its length.
    func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
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
