import NetworkAddress

/// Clients blocked after reaching `invalid_recipient_limit` in a session or
/// `client_refusal_limit` across sessions, each for `harvest_block_time` (relayguard.conf(5), tarpit and harvest keys).
/// While blocked, a new connection is greeted `421 4.7.0` and closed.
///
/// Clients are `ClientKey`s, keyed as they are counted: a blocked IPv6 network is refused
/// from every address in it.
///
/// Time is injected: every method takes `now`, so tests drive it with any instant and
/// never sleep. The table is bounded: at `capacity` it first drops expired entries, then
/// the entry that expires soonest. Why that victim: it is the block with the least time
/// left to serve, so evicting it loosens the defence least.
public struct HarvestBlockTable<Instant: InstantProtocol>: Sendable where Instant.Duration == Swift.Duration, Instant: Sendable {
    /// New blocks last this long (a reload may change it; blocks in place keep their expiry).
    public var blockTime: Swift.Duration
    public let capacity: Int
    private var expiries: [ClientKey: Instant] = [:]
    /// Why each block is there, for `relayguard ctl blocks`.
    private var reasons: [ClientKey: BlockReason] = [:]

    /// Why a client is blocked.
    public enum BlockReason: String, Sendable {
        /// `invalid_recipient_limit` in one session.
        case invalidRecipientLimit = "too_many_invalid_recipients"
        /// `client_refusal_limit` across sessions.
        case clientRefusalLimit = "client_refusal_limit"
        /// `relayguard ctl block`.
        case byOperator = "blocked_by_operator"
    }

    public init(blockTime: Swift.Duration, capacity: Int = 100_000) {
        precondition(capacity > 0)
        self.blockTime = blockTime
        self.capacity = capacity
    }

    /// Number of entries held (expired ones included until pruned).
    public var count: Int { expiries.count }

    /// Blocks `client` until `now + blockTime` (extending a block already in place).
    public mutating func block(_ client: ClientKey, now: Instant, reason: BlockReason = .invalidRecipientLimit) {
        block(client, for: blockTime, now: now, reason: reason)
    }

    /// Blocks `client` for `duration` from `now` (the operator's `ctl block`, or `blockTime`).
    public mutating func block(_ client: ClientKey, for duration: Swift.Duration, now: Instant, reason: BlockReason) {
        guard duration > .zero else { return }
        if expiries[client] == nil && expiries.count >= capacity {
            prune(now: now)
            if expiries.count >= capacity, let victim = expiries.min(by: { $0.value < $1.value })?.key {
                expiries.removeValue(forKey: victim)
                reasons.removeValue(forKey: victim)
            }
        }
        expiries[client] = now.advanced(by: duration)
        reasons[client] = reason
    }

    /// Lifts the block of `client`; whether there was one in force.
    public mutating func unblock(_ client: ClientKey, now: Instant) -> Bool {
        let wasBlocked = isBlocked(client, now: now)
        expiries.removeValue(forKey: client)
        reasons.removeValue(forKey: client)
        return wasBlocked
    }

    /// Lifts every block; how many were in force.
    public mutating func unblockAll(now: Instant) -> Int {
        let inForce = expiries.values.filter { now < $0 }.count
        expiries.removeAll()
        reasons.removeAll()
        return inForce
    }

    /// The blocks in force at `now`, soonest to expire first.
    public func blocks(now: Instant) -> [(client: ClientKey, reason: BlockReason, remaining: Swift.Duration)] {
        expiries.filter { now < $0.value }
            .sorted { $0.value < $1.value }
            .map { (client: $0.key, reason: reasons[$0.key] ?? .invalidRecipientLimit, remaining: now.duration(to: $0.value)) }
    }

    /// Whether `client` is blocked at `now`. Expired entries stay until `prune` or `block`
    /// drops them; they no longer block.
    public func isBlocked(_ client: ClientKey, now: Instant) -> Bool {
        guard let expiry = expiries[client] else { return false }
        return now < expiry
    }

    /// Time left on a block, or nil.
    public func remaining(_ client: ClientKey, now: Instant) -> Swift.Duration? {
        guard let expiry = expiries[client], now < expiry else { return nil }
        return now.duration(to: expiry)
    }

    /// Drops every expired entry. Call it now and then (the proxy does, on a timer).
    public mutating func prune(now: Instant) {
        expiries = expiries.filter { now < $0.value }
        reasons = reasons.filter { expiries[$0.key] != nil }
    }
}
