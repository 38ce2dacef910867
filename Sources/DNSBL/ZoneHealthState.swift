/// Where a DNSBL zone stands with its health check.
public enum ZoneHealthState: Sendable, Hashable, CustomStringConvertible {
    /// Not checked yet; queried normally (why: a check that cannot reach its servers at start
    /// must not switch every list off).
    case unchecked
    /// Passed its last conclusive check.
    case healthy
    /// Failed its last conclusive check; not queried until it passes again.
    case disabled(ZoneHealthFault)

    /// Whether clients are looked up in the zone.
    public var isEnabled: Bool {
        switch self {
        case .unchecked, .healthy: true
        case .disabled: false
        }
    }

    public var description: String {
        switch self {
        case .unchecked: "unchecked"
        case .healthy: "healthy"
        case .disabled(let fault): "disabled: \(fault)"
        }
    }
}
