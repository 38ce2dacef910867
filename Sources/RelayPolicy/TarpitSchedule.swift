/// How long relayguard waits before writing the n-th refused-RCPT reply of a session
/// (relayguard.conf(5), tarpit and harvest keys): min(n × `tarpit_delay`, `tarpit_max_delay`). A delay of zero disables it.
///
/// Why a growing delay: one mistyped address costs a real sender a few seconds once; a
/// harvester probing thousands of addresses pays for every one, and pays more the longer it
/// insists (Exchange's TarpitTime, from the relay article, is a flat delay; ours escalates).
public struct TarpitSchedule: Sendable, Equatable {
    public var delay: Duration
    public var maxDelay: Duration

    public init(delay: Duration, maxDelay: Duration) {
        self.delay = delay
        self.maxDelay = maxDelay
    }

    public init(configuration: Configuration) {
        self.init(delay: configuration.tarpitDelay, maxDelay: configuration.tarpitMaxDelay)
    }

    /// The delay before the reply to the `rejection`-th refused RCPT (1 for the first).
    public func delay(forRejection rejection: Int) -> Duration {
        guard rejection > 0, delay > .zero else { return .zero }
        // Compare before multiplying: n × delay could overflow for absurd n.
        let steps = Double(rejection)
        let capSteps = maxDelay / delay
        if steps >= capSteps { return maxDelay }
        return delay * rejection
    }

    /// The delay for a refusal to a client with the given standing: trusted and
    /// authenticated clients are never delayed.
    public func delay(forRejection rejection: Int, client: ClientStanding) -> Duration {
        client.mayRelay ? .zero : delay(forRejection: rejection)
    }
}
