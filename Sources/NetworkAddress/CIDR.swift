/// An IPv4 or IPv6 network in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, `::1/128`.
///
/// An address without a prefix length is a single host (`/32` or `/128`). An IPv4-mapped
/// IPv6 network (`::ffff:0:0/96` or longer) is rewritten as the IPv4 network it names
/// (`::ffff:10.0.0.0/104` is `10.0.0.0/8`), because clients are seen as IPv4 (`IPAddress`).
///
/// An IPv4 network matches only IPv4 addresses and an IPv6 network only IPv6 addresses:
/// `::/0` does not match IPv4 clients (as in Postfix `mynetworks`); list `0.0.0.0/0` too.
///
/// Why host bits set is an error (`10.0.0.1/8`): it is usually a typo for a single host
/// (`/32`) or for the network; guessing either could trust a whole network by mistake.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let network: IPAddress
    /// The prefix length: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// Parses CIDR text; nil when it is not a valid network.
    public init?(_ text: some StringProtocol) {
        guard let parsed = try? CIDR(parsing: text) else { return nil }
        self = parsed
    }

    /// The network `network/prefixLength`; nil when host bits are set or the length is out of range.
    public init?(network: IPAddress, prefixLength: Int) {
        let width = network.isIPv4 ? 32 : 128
        guard (0...width).contains(prefixLength) else { return nil }
        let candidate = CIDR(checkedNetwork: network, prefixLength: prefixLength)
        guard candidate.masked(network) == (network.high, network.low) else { return nil }
        self = candidate
    }

    private init(checkedNetwork: IPAddress, prefixLength: Int) {
        self.network = checkedNetwork
        self.prefixLength = prefixLength
    }

    /// Parses CIDR text, saying what is wrong when it is not a valid network.
    public init(parsing text: some StringProtocol) throws(ConfigurationValueError) {
        let utf8 = Array(text.utf8)
        let slash = utf8.firstIndex(of: UInt8(ascii: "/"))
        let addressPart = utf8[..<(slash ?? utf8.endIndex)]
        var prefix: Int?
        if let slash {
            let digits = utf8[(slash + 1)...]
            guard (1...3).contains(digits.count),
                  digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw ConfigurationValueError("bad network \"\(text)\": the prefix length after / must be a number")
            }
            prefix = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        if let v4 = IPAddress.parseIPv4(addressPart) {
            let length = prefix ?? 32
            guard length <= 32 else {
                throw ConfigurationValueError("bad network \"\(text)\": an IPv4 prefix length is 0 to 32")
            }
            try self.init(bits: (0, UInt64(v4)), ipv4: true, prefixLength: length, text: String(text))
        } else if let (high, low) = IPAddress.parseIPv6(addressPart) {
            let length = prefix ?? 128
            guard length <= 128 else {
                throw ConfigurationValueError("bad network \"\(text)\": an IPv6 prefix length is 0 to 128")
            }
            if high == 0 && low >> 32 == 0xffff && length >= 96 {
                try self.init(bits: (0, low & 0xffff_ffff), ipv4: true, prefixLength: length - 96, text: String(text))
            } else {
                try self.init(bits: (high, low), ipv4: false, prefixLength: length, text: String(text))
            }
        } else {
            throw ConfigurationValueError("bad network \"\(text)\": not an IPv4 or IPv6 address")
        }
    }

    private init(bits: (UInt64, UInt64), ipv4: Bool, prefixLength: Int, text: String) throws(ConfigurationValueError) {
        let address = ipv4 ? IPAddress(ipv4Value: UInt32(truncatingIfNeeded: bits.1)) : IPAddress(ipv6High: bits.0, low: bits.1)
        let candidate = CIDR(checkedNetwork: address, prefixLength: prefixLength)
        let masked = candidate.masked(address)
        guard masked == (address.high, address.low) else {
            let network = ipv4 ? IPAddress(ipv4Value: UInt32(truncatingIfNeeded: masked.1)) : IPAddress(ipv6High: masked.0, low: masked.1)
            throw ConfigurationValueError("bad network \"\(text)\": host bits are set (the network is \(network)/\(prefixLength); a single host is \(address)/\(ipv4 ? 32 : 128))")
        }
        self = candidate
    }

    /// True when `address` is of the same family and inside this network.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv4 == network.isIPv4 else { return false }
        return masked(address) == (network.high, network.low)
    }

    /// `address` with the bits beyond the prefix cleared, as (high, low).
    private func masked(_ address: IPAddress) -> (UInt64, UInt64) {
        if network.isIPv4 {
            let mask: UInt64 = prefixLength == 0 ? 0 : (0xffff_ffff << UInt64(32 - prefixLength)) & 0xffff_ffff
            return (0, address.low & mask)
        }
        let highMask: UInt64 = prefixLength >= 64 ? .max : (prefixLength == 0 ? 0 : .max << UInt64(64 - prefixLength))
        let lowMask: UInt64 = prefixLength <= 64 ? 0 : (prefixLength == 128 ? .max : .max << UInt64(128 - prefixLength))
        return (address.high & highMask, address.low & lowMask)
    }

    /// `network/prefixLength`, always with the prefix length: `192.0.2.1/32`.
    public var description: String { "\(network)/\(prefixLength)" }
}
