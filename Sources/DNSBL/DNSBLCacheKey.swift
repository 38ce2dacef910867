import NetworkAddress

/// What `DNSBLCache` is keyed by: one zone's verdict on one client address.
public struct DNSBLCacheKey: Hashable, Sendable {
    /// The zone as in `DNSBLSite.zone` (lower case, no trailing dot).
    public var zone: String
    /// The client (an IPv4-mapped IPv6 address is already its IPv4 address).
    public var client: IPAddress

    public init(zone: String, client: IPAddress) {
        self.zone = zone
        self.client = client
    }
}
