import NetworkAddress

/// The harvest defence shared by every session: which clients are blocked, and how many
/// RCPTs each client had refused across its sessions (relayguard.conf(5), tarpit and harvest keys).
///
/// It keys every client the same way (`ClientKey`: IPv4 address, or IPv6 network of
/// `client_ipv6_prefix` bits) for counting and for blocking, so a block earned from one
/// address of an IPv6 /64 is enforced on the whole /64, whether it came from
/// `invalid_recipient_limit` (one session) or `client_refusal_limit` (across sessions).
///
/// Pure and bounded: the two tables it holds have fixed capacities (`ClientRefusalTable`,
/// `HarvestBlockTable`); time is passed in.
public struct HarvestDefence<Instant: InstantProtocol>: Sendable where Instant.Duration == Swift.Duration, Instant: Sendable {
    public private(set) var refusals: ClientRefusalTable<Instant>
    public private(set) var blocks: HarvestBlockTable<Instant>
    /// `client_ipv6_prefix`.
    public private(set) var ipv6PrefixLength: Int

    public init(configuration: Configuration, refusalCapacity: Int = 100_000, blockCapacity: Int = 100_000) {
        refusals = ClientRefusalTable(limit: configuration.clientRefusalLimit, window: configuration.clientRefusalWindow,
                                      capacity: refusalCapacity)
        blocks = HarvestBlockTable(blockTime: configuration.harvestBlockTime, capacity: blockCapacity)
        ipv6PrefixLength = configuration.clientIPv6Prefix
    }

    /// A reload: new limit, window, block time and prefix for what comes next. Counts and
    /// blocks in place stay (under a changed prefix, they no longer match and age out).
    public mutating func apply(_ configuration: Configuration) {
        refusals.limit = configuration.clientRefusalLimit
        refusals.window = configuration.clientRefusalWindow
        blocks.blockTime = configuration.harvestBlockTime
        ipv6PrefixLength = configuration.clientIPv6Prefix
    }

    /// How `client` is counted and blocked.
    public func key(of client: IPAddress) -> ClientKey {
        ClientKey(client, ipv6PrefixLength: ipv6PrefixLength)
    }

    /// Whether a new connection from `client` is refused at connect (`421 4.7.0`).
    public func isBlocked(_ client: IPAddress, now: Instant) -> Bool {
        blocks.isBlocked(key(of: client), now: now)
    }

    /// Blocks `client` for `harvest_block_time` (a session reached `invalid_recipient_limit`).
    public mutating func block(_ client: IPAddress, now: Instant) {
        blocks.block(key(of: client), now: now)
    }

    /// Counts one refused RCPT of `client` (untrusted, unauthenticated: the caller decides).
    /// True when this refusal reached `client_refusal_limit`: the client is blocked now.
    public mutating func countRefusal(from client: IPAddress, now: Instant) -> Bool {
        let key = key(of: client)
        guard refusals.countRefusal(key, now: now) == .limitReached else { return false }
        blocks.block(key, now: now, reason: .clientRefusalLimit)
        return true
    }

    /// The operator's `ctl block ADDR DURATION`.
    public mutating func block(_ client: IPAddress, for duration: Swift.Duration, now: Instant) {
        blocks.block(key(of: client), for: duration, now: now, reason: .byOperator)
    }

    /// The operator's `ctl unblock ADDR`: the block lifted and the client's refusal count
    /// forgotten, so it starts afresh; whether a block was in force.
    public mutating func unblock(_ client: IPAddress, now: Instant) -> Bool {
        let key = key(of: client)
        refusals.forget(key)
        return blocks.unblock(key, now: now)
    }

    /// The operator's `ctl unblock all`; how many blocks were in force.
    public mutating func unblockAll(now: Instant) -> Int {
        refusals.forgetAll()
        return blocks.unblockAll(now: now)
    }

    /// Drops expired blocks and closed counting windows.
    public mutating func prune(now: Instant) {
        blocks.prune(now: now)
        refusals.prune(now: now)
    }
}
