import NetworkAddress

/// Remembers DNSBL answers per (zone, client) for as long as their TTL allows, within bounds.
///
/// - Only definite answers are stored (listed or not listed); a timeout or a failure is asked
///   again next time, so a list that had a bad minute is not believed for an hour.
/// - The TTL is clamped to `minimumTTL...maximumTTL` (60 s to 1 h by default, as Postfix's
///   `postscreen_dnsbl_min_ttl` and `postscreen_dnsbl_max_ttl`). Why a minimum: a list that
///   publishes TTL 0 would otherwise cost a query for every connection of a busy spammer. Why a
///   maximum: a client removed from a list should not stay refused for a day.
/// - The cache holds at most `capacity` entries. When a new entry does not fit, expired entries
///   go first; if that is not enough, the eighth of the entries that expire soonest goes.
///   Why a batch: finding the soonest-expiring entries is a sort of the whole table; doing it for
///   an eighth at a time keeps inserts amortised O(log n) instead of O(n) each once full. Why
///   soonest-expiring: those entries had the least useful life left.
///
/// Time is injected: every method takes `now`, so tests use a manual clock and never sleep.
public struct DNSBLCache<Instant: InstantProtocol>: Sendable where Instant.Duration == Swift.Duration, Instant: Sendable {
    private struct Entry: Sendable {
        var answer: DNSBLZoneAnswer
        var expiry: Instant
    }

    public let capacity: Int
    public let minimumTTL: Duration
    public let maximumTTL: Duration
    private var entries: [DNSBLCacheKey: Entry] = [:]

    public init(capacity: Int = 50_000, minimumTTL: Duration = .seconds(60), maximumTTL: Duration = .seconds(3600)) {
        precondition(capacity > 0, "a cache holds at least one entry")
        precondition(minimumTTL <= maximumTTL, "minimum TTL above maximum TTL")
        self.capacity = capacity
        self.minimumTTL = minimumTTL
        self.maximumTTL = maximumTTL
    }

    /// Entries held, expired ones included until they are pruned or evicted.
    public var count: Int { entries.count }

    /// The TTL the cache will use for a published `ttl`.
    public func effectiveTTL(_ ttl: Duration) -> Duration {
        min(max(ttl, minimumTTL), maximumTTL)
    }

    /// The cached answer, or nil when there is none or it has expired at `now`.
    public func answer(for key: DNSBLCacheKey, now: Instant) -> DNSBLZoneAnswer? {
        guard let entry = entries[key], now < entry.expiry else { return nil }
        return entry.answer
    }

    /// Stores a definite `answer` for `ttl` (clamped); timeouts, failures and skips are ignored.
    public mutating func store(_ answer: DNSBLZoneAnswer, for key: DNSBLCacheKey, ttl: Duration, now: Instant) {
        guard answer.isDefinite else { return }
        if entries[key] == nil && entries.count >= capacity {
            makeRoom(now: now)
        }
        entries[key] = Entry(answer: answer, expiry: now.advanced(by: effectiveTTL(ttl)))
    }

    /// Drops every entry expired at `now`.
    public mutating func prune(now: Instant) {
        entries = entries.filter { now < $0.value.expiry }
    }

    private mutating func makeRoom(now: Instant) {
        prune(now: now)
        guard entries.count >= capacity else { return }
        let batch = max(1, capacity / 8)
        let victims = entries.sorted { $0.value.expiry < $1.value.expiry }.prefix(batch)
        for victim in victims {
            entries.removeValue(forKey: victim.key)
        }
    }
}

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
