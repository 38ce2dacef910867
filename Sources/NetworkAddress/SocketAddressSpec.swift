/// A host:port value from the configuration: `127.0.0.1:2525`, `[::]:25`, `[::1]:10025`.
///
/// The host is an IP address, never a name: `listen`, `backend` and `dns_servers` are used
/// before any resolver is trusted, and a name would make start-up depend on DNS.
/// An IPv6 address is written in brackets when a port follows (`[::1]:25`), as in Postfix.
/// Where a default port exists (`dns_servers`, port 53), the port may be left out:
/// `192.0.2.53`, `[2001:db8::53]`, and also a bare `2001:db8::53`.
public struct SocketAddressSpec: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `host:port`; with `defaultPort`, `host` alone is accepted too. Nil when invalid
    /// (port 0 included).
    /// `allowingPortZero`: port 0 (the kernel picks one) is accepted, for tests and the demo's
    /// sink; the configuration never allows it.
    public init?(_ text: some StringProtocol, defaultPort: UInt16? = nil, allowingPortZero: Bool = false) {
        guard let parsed = try? SocketAddressSpec(parsing: text, defaultPort: defaultPort, allowingPortZero: allowingPortZero)
        else { return nil }
        self = parsed
    }

    public init(parsing text: some StringProtocol, defaultPort: UInt16?, allowingPortZero: Bool = false) throws(ConfigurationValueError) {
        let text = String(text)
        let hostText: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigurationValueError("bad address \"\(text)\": missing ]")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else if rest.hasPrefix(":") {
                portText = rest.dropFirst()
            } else {
                throw ConfigurationValueError("bad address \"\(text)\": expected :port after ]")
            }
            guard IPAddress.parseIPv6(Array(hostText.utf8)[...]) != nil else {
                throw ConfigurationValueError("bad address \"\(text)\": brackets hold an IPv6 address")
            }
        } else {
            let colons = text.filter { $0 == ":" }.count
            if colons > 1 {
                guard defaultPort != nil, IPAddress(text) != nil else {
                    throw ConfigurationValueError("bad address \"\(text)\": write an IPv6 address in brackets, as [::1]:25")
                }
                hostText = text[...]
                portText = nil
            } else if let colon = text.firstIndex(of: ":") {
                hostText = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                hostText = text[...]
                portText = nil
            }
        }
        guard let address = IPAddress(hostText) else {
            throw ConfigurationValueError("bad address \"\(text)\": \"\(hostText)\" is not an IP address (host names are not accepted)")
        }
        let port: UInt16
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(portText), ((allowingPortZero ? 0 : 1)...65535).contains(number) else {
                throw ConfigurationValueError("bad address \"\(text)\": the port must be a number from 1 to 65535")
            }
            port = UInt16(number)
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw ConfigurationValueError("bad address \"\(text)\": missing :port")
        }
        self.init(address: address, port: port)
    }

    /// `192.0.2.1:25` or `[2001:db8::1]:25`: the form the configuration accepts.
    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
