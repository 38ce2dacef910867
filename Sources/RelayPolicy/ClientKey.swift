import NetworkAddress

/// Who a client is, for counting refusals and for blocks: an IPv4 address, or the IPv6
/// network of `client_ipv6_prefix` bits that holds the client's address (relayguard.conf(5), tarpit and harvest keys).
///
/// An IPv4-mapped IPv6 client (`::ffff:192.0.2.1`) is already the IPv4 address
/// (`IPAddress` makes it so), and is keyed as that one address.
///
/// Why IPv6 per prefix: one host is usually given a whole /64 and can pick a fresh source
/// address for every connection; counting per address would never reach a limit.
public struct ClientKey: Hashable, Sendable, CustomStringConvertible {
    /// The client's address with the bits beyond the prefix cleared (IPv4: the address).
    public let network: IPAddress
    /// 32 for IPv4; the IPv6 prefix length otherwise.
    public var prefixLength: Int { Int(prefixBits) }
    /// A byte, not an Int: the key is 24 bytes instead of 32, and tables hold many.
    private let prefixBits: UInt8

    /// The key of `client` when IPv6 clients are grouped by `ipv6PrefixLength` bits (1 to 128).
    public init(_ client: IPAddress, ipv6PrefixLength: Int) {
        precondition((1...128).contains(ipv6PrefixLength), "an IPv6 prefix length is 1 to 128")
        if client.isIPv4 {
            network = client
            prefixBits = 32
            return
        }
        // Only the address's public bytes: the key does not depend on how IPAddress stores them.
        var bytes = client.bytes
        for index in 0..<16 {
            let bitsKept = min(max(ipv6PrefixLength - index * 8, 0), 8)
            bytes[index] &= bitsKept == 8 ? 0xFF : ~(0xFF >> UInt8(bitsKept))
        }
        // Never IPv4-mapped again: that needs bits 80 to 95 set, so a prefix of 96 or more,
        // which leaves bits 64 to 95 as they were, and `client` was not mapped.
        network = IPAddress(ipv6Bytes: bytes)
        prefixBits = UInt8(ipv6PrefixLength)
    }

    /// `192.0.2.1` for IPv4 and for a whole IPv6 address (`/128`); `2001:db8::/64` for an
    /// IPv6 network: what an administrator sees and types.
    public var description: String {
        network.isIPv4 || prefixLength == 128 ? network.description : "\(network)/\(prefixLength)"
    }
}
