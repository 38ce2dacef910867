/// The RFC 5782 health of one DNSBL zone, as a state machine fed with test-point probes.
///
/// A conclusive probe decides:
/// - any A answer for 127.0.0.1 → disabled (`listsLoopback`);
/// - no A answer inside 127.0.0.0/8 for 127.0.0.2 → disabled (`missesTestPoint`);
/// - otherwise (127.0.0.2 listed, 127.0.0.1 not listed) → healthy.
/// A probe with a timeout, failure or skip on either test point is inconclusive and changes
/// nothing: the zone keeps the state it had.
///
/// Why: a list that was shut down or hijacked may answer for everybody (the Spamhaus answer
/// 127.255.255.254 to public resolvers, expired domains with wildcard records) or for nobody.
/// The first refuses all mail, the second silently stops protecting. Both are caught by the two
/// test points every list publishes, and the zone comes back by itself once it passes again.
/// Why an inconclusive probe changes nothing: a slow resolver is not a broken list, and
/// lookups already fail open on their own.
public struct ZoneHealth: Sendable, Equatable {
    public let zone: String
    public private(set) var state: ZoneHealthState = .unchecked

    public init(zone: String) {
        self.zone = zone
    }

    /// Whether clients are looked up in the zone now.
    public var isEnabled: Bool { state.isEnabled }

    /// Feeds one probe; returns the transition when the state changed (the caller logs it).
    public mutating func record(_ probe: ZoneHealthProbe) -> ZoneHealthTransition? {
        guard let next = Self.verdict(probe) else { return nil }
        guard next != state else { return nil }
        let transition = ZoneHealthTransition(zone: zone, from: state, to: next)
        state = next
        return transition
    }

    /// The state a probe calls for, or nil when it is inconclusive.
    static func verdict(_ probe: ZoneHealthProbe) -> ZoneHealthState? {
        switch probe.mustNotBeListed {
        case .addresses(let list) where !list.isEmpty:
            return .disabled(.listsLoopback(list))
        case .addresses, .notListed:
            break
        case .timedOut, .failed, .skipped:
            return nil
        }
        switch probe.mustBeListed {
        case .addresses(let list):
            let inLoopback = list.contains { $0.isIPv4 && $0.bytes[0] == 127 }
            return inLoopback ? .healthy : .disabled(.missesTestPoint(probe.mustBeListed))
        case .notListed:
            return .disabled(.missesTestPoint(.notListed))
        case .timedOut, .failed, .skipped:
            return nil
        }
    }
}
