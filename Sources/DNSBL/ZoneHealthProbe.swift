import NetworkAddress

/// The answers of one DNSBL zone for its two RFC 5782 test points (section 5): 127.0.0.2, which
/// every list must list, and 127.0.0.1, which no list may list.
public struct ZoneHealthProbe: Sendable, Equatable {
    /// The answer for `2.0.0.127.<zone>`.
    public var mustBeListed: DNSBLZoneAnswer
    /// The answer for `1.0.0.127.<zone>`.
    public var mustNotBeListed: DNSBLZoneAnswer

    public init(mustBeListed: DNSBLZoneAnswer, mustNotBeListed: DNSBLZoneAnswer) {
        self.mustBeListed = mustBeListed
        self.mustNotBeListed = mustNotBeListed
    }

    /// The test point every list must list: 127.0.0.2.
    public static let listedTestPoint = IPAddress(ipv4: (127, 0, 0, 2))
    /// The test point no list may list: 127.0.0.1.
    public static let unlistedTestPoint = IPAddress(ipv4: (127, 0, 0, 1))
}
