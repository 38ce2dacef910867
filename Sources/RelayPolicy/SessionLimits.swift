/// The per-session counters behind `invalid_recipient_limit` and `error_limit`
/// (relayguard.conf(5), tarpit and harvest keys). They survive RSET: a harvester cannot reset them by starting a new
/// transaction, only by reconnecting — and reaching the recipient limit blocks reconnecting.
public struct SessionLimits: Sendable, Equatable {
    public let invalidRecipientLimit: Int
    public let errorLimit: Int
    public private(set) var invalidRecipients = 0
    public private(set) var errors = 0

    public init(invalidRecipientLimit: Int, errorLimit: Int) {
        self.invalidRecipientLimit = invalidRecipientLimit
        self.errorLimit = errorLimit
    }

    public init(configuration: Configuration) {
        self.init(invalidRecipientLimit: configuration.invalidRecipientLimit, errorLimit: configuration.errorLimit)
    }

    /// What the session does after counting.
    public enum Verdict: Sendable, Equatable {
        /// Answer as decided; `count` is the running total (the tarpit uses it as n).
        case proceed(count: Int)
        /// The limit is reached: answer `421 4.7.0` instead and close the session.
        case limitReached
    }

    /// Counts one refused recipient.
    public mutating func recordInvalidRecipient() -> Verdict {
        invalidRecipients += 1
        return invalidRecipients >= invalidRecipientLimit ? .limitReached : .proceed(count: invalidRecipients)
    }

    /// Counts one protocol error.
    public mutating func recordError() -> Verdict {
        errors += 1
        return errors >= errorLimit ? .limitReached : .proceed(count: errors)
    }
}
