// DNSResolverStatistics: counters of a `DNSResolver`, for tests, benchmarks and a status line.
public struct DNSResolverStatistics: Sendable, Equatable {
    /// UDP datagrams sent (first attempts and retries).
    public var queriesSent = 0
    /// Second attempts after the first went unanswered.
    public var retries = 0
    /// Datagrams that matched no pending query (unknown ID, wrong question, not a reply, unreadable).
    public var repliesIgnored = 0
    /// Truncated UDP replies that were asked again over TCP.
    public var tcpFallbacks = 0
    /// Lookups that ended without a reply.
    public var timeouts = 0
    /// Queries not sent because no socket could be opened for them (out of descriptors).
    public var socketFailures = 0

    public init() {}
}
