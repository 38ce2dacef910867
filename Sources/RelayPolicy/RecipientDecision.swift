import DecisionLog
import SMTPProtocol

/// The outcome of the relay decision for one `RCPT TO` (SPEC section 4).
public struct RecipientDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Forward the RCPT, original bytes, to the backend; its reply is the answer.
        case forward
        /// Answer the client with this reply; nothing reaches the backend.
        case refuse(Reply)
    }

    public var outcome: Outcome
    /// Machine-readable reason for the decision log.
    public var reason: Reason

    public init(_ outcome: Outcome, reason: Reason) {
        self.outcome = outcome
        self.reason = reason
    }

    static func forward(_ reason: Reason) -> RecipientDecision { RecipientDecision(.forward, reason: reason) }
    static func refuse(_ reply: Reply, _ reason: Reason) -> RecipientDecision { RecipientDecision(.refuse(reply), reason: reason) }

    /// The reply when the decision refuses, else nil.
    public var refusal: Reply? {
        switch outcome {
        case .forward: return nil
        case .refuse(let reply): return reply
        }
    }

    /// Whether this refusal counts towards `invalid_recipient_limit` (and so is tarpitted):
    /// every refused recipient does, except a syntax error, which counts towards `error_limit`.
    ///
    /// Why a DNSBL refusal counts: a listed client that keeps probing addresses is exactly the
    /// harvester the limit is for; a legitimate listed sender gives up after a handful.
    public var countsAsInvalidRecipient: Bool {
        switch reason {
        case .relayDenied, .senderRouting, .unknownRecipient, .unqualifiedRecipient, .dnsblListed: return refusal != nil
        default: return false
        }
    }

    /// Whether this refusal counts towards `error_limit`.
    public var countsAsProtocolError: Bool { reason == .badSyntax }
}
