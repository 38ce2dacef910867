import NetworkAddress

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
///
/// Lookups feed it too (`recordLookup`): a zone whose lookups time out
/// `suspendAfterTimeouts` times in a row (test-point probes included) is suspended like a
/// disabled one, so no session waits `dnsbl_timeout` for it any more, until a probe answers.
/// Why: a zone behind a dead or unreachable server costs every session the whole timeout and
/// protects nobody (lookups fail open).
public struct ZoneHealth: Sendable, Equatable {
    public let zone: String
    public private(set) var state: ZoneHealthState = .unchecked
    /// Lookups of this zone that timed out in a row.
    public private(set) var timeoutStreak = 0
    /// Timeouts in a row after which the zone is suspended.
    public static let suspendAfterTimeouts = 3

    public init(zone: String) {
        self.zone = zone
    }

    /// Whether clients are looked up in the zone now.
    public var isEnabled: Bool { state.isEnabled }

    /// Feeds one probe; returns the transition when the state changed (the caller logs it).
    public mutating func record(_ probe: ZoneHealthProbe) -> ZoneHealthTransition? {
        guard let next = Self.verdict(probe) else {
            if probe.mustBeListed == .timedOut || probe.mustNotBeListed == .timedOut { return countTimeout() }
            return nil
        }
        timeoutStreak = 0
        guard next != state else { return nil }
        let transition = ZoneHealthTransition(zone: zone, from: state, to: next)
        state = next
        return transition
    }

    /// Feeds the answer of one client lookup; returns the transition when it suspends the zone.
    public mutating func recordLookup(_ answer: DNSBLZoneAnswer) -> ZoneHealthTransition? {
        switch answer {
        case .timedOut: return countTimeout()
        case .addresses, .notListed: timeoutStreak = 0
        case .failed, .skipped: break
        }
        return nil
    }

    private mutating func countTimeout() -> ZoneHealthTransition? {
        timeoutStreak += 1
        guard timeoutStreak >= Self.suspendAfterTimeouts, isEnabled else { return nil }
        let transition = ZoneHealthTransition(zone: zone, from: state, to: .disabled(.timingOut(timeoutStreak)))
        state = transition.to
        return transition
    }

    /// Whether the zone is suspended because its lookups time out.
    public var isSuspendedForTimeouts: Bool {
        if case .disabled(.timingOut) = state { return true }
        return false
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

/// Why a DNSBL zone was disabled by its health check.
public enum ZoneHealthFault: Sendable, Hashable, CustomStringConvertible {
    /// The zone answers for 127.0.0.1, so it would list everyone: a list that was shut down and
    /// now lists the world, or one refusing our resolver with an error code such as
    /// 127.255.255.254 ("public resolver").
    case listsLoopback([IPAddress])
    /// The zone does not list 127.0.0.2 (NXDOMAIN, or no answer inside 127.0.0.0/8): the list is
    /// gone or not a DNSBL, and its "not listed" means nothing.
    case missesTestPoint(DNSBLZoneAnswer)
    /// The zone's lookups timed out this many times in a row: suspended until a probe answers.
    case timingOut(Int)

    public var description: String {
        switch self {
        case .timingOut(let count):
            "its lookups timed out \(count) times in a row"
        case .listsLoopback(let answers):
            "it lists 127.0.0.1 (answer \(answers.map(\.description).joined(separator: ", ")))"
        case .missesTestPoint(let answer):
            switch answer {
            case .addresses(let list): "it does not list 127.0.0.2 (answer \(list.map(\.description).joined(separator: ", ")))"
            case .notListed: "it does not list 127.0.0.2 (no such name)"
            case .timedOut, .failed, .skipped: "it does not list 127.0.0.2"
            }
        }
    }
}

/// A change of a DNSBL zone's health state, for the log. `isAlarm` marks the ones an operator
/// must see (a zone switched off or back on); the first "healthy" after start-up is not one.
public struct ZoneHealthTransition: Sendable, Equatable, CustomStringConvertible {
    public var zone: String
    public var from: ZoneHealthState
    public var to: ZoneHealthState

    public init(zone: String, from: ZoneHealthState, to: ZoneHealthState) {
        self.zone = zone
        self.from = from
        self.to = to
    }

    /// True when the zone was disabled or re-enabled (or disabled for a different reason).
    public var isAlarm: Bool {
        switch (from, to) {
        case (.unchecked, .healthy): false
        case (.unchecked, .disabled), (.healthy, .disabled), (.disabled, .disabled), (.disabled, .healthy): true
        case (.healthy, .healthy), (.unchecked, .unchecked), (.healthy, .unchecked), (.disabled, .unchecked): false
        }
    }

    /// One line, upper-case verb first, fit for grep: `DNSBL zone bl.example DISABLED: ...`.
    public var description: String {
        switch to {
        case .disabled(.timingOut(let count)):
            "DNSBL zone \(zone) SUSPENDED: its lookups timed out \(count) times in a row; no session waits for it, and it is probed until it answers"
        case .disabled(let fault):
            "DNSBL zone \(zone) DISABLED: \(fault); its answers are ignored until it passes the RFC 5782 test again"
        case .healthy:
            switch from {
            case .disabled(.timingOut): "DNSBL zone \(zone) RESUMED: it answers again (it lists 127.0.0.2 and not 127.0.0.1)"
            case .disabled: "DNSBL zone \(zone) RE-ENABLED: it lists 127.0.0.2 and not 127.0.0.1 again"
            case .unchecked, .healthy: "DNSBL zone \(zone) healthy: it lists 127.0.0.2 and not 127.0.0.1"
            }
        case .unchecked:
            "DNSBL zone \(zone) unchecked"
        }
    }
}
