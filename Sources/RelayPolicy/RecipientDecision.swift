import DecisionLog
import SMTPProtocol

/// The outcome of the relay decision for one `RCPT TO` (relayguard.conf(5), RELAY DECISION).
public struct RecipientDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Forward the RCPT, original bytes, to the backend; its reply is the answer.
        case forward(Reason)
        /// Answer the client with this reply; nothing reaches the backend.
        case refuse(Reply, RecipientRefusal)
    }

    public var outcome: Outcome

    public init(_ outcome: Outcome) {
        self.outcome = outcome
    }

    static func forward(_ reason: Reason) -> RecipientDecision { RecipientDecision(.forward(reason)) }
    static func refuse(_ reply: Reply, _ refusal: RecipientRefusal) -> RecipientDecision {
        RecipientDecision(.refuse(reply, refusal))
    }

    /// Machine-readable reason for the decision log.
    public var reason: Reason {
        switch outcome {
        case .forward(let reason): reason
        case .refuse(_, let refusal): refusal.reason
        }
    }

    /// The reply when the decision refuses, else nil.
    public var refusal: Reply? {
        switch outcome {
        case .forward: nil
        case .refuse(let reply, _): reply
        }
    }
}

/// Why a RCPT was refused, whoever refused it: the closed list every refused RCPT is booked
/// under (the per-session and per-client counts, the tarpit, the limits, the record).
///
/// Why a type of its own rather than `Reason`: `Reason` is the log's whole vocabulary; a
/// switch over it needs a `default:`, and a new refusal would slip past the harvest defence
/// unnoticed. Here every case must say what it counts towards.
public enum RecipientRefusal: Sendable, Equatable, CaseIterable {
    /// The path does not parse (rule 1).
    case badSyntax
    /// No domain, and not postmaster (rule 3).
    case unqualifiedRecipient
    /// Source route, `%`, `!` or a quoted `@` from an untrusted client (rule 4).
    case senderRouting
    /// The client is listed by the DNSBLs (rule 5).
    case dnsblListed
    /// The client talked before the greeting (`pregreet_action = reject`).
    case pregreet
    /// Not in `recipient_map` (rule 6, `recipient_check = map`).
    case unknownRecipient
    /// Not ours to receive (rule 9).
    case relayDenied
    /// The backend answered the forwarded RCPT with a 5xx (unknown user, its own policy).
    case backendRefused
    /// The backend answered the forwarded RCPT with 503 (bad sequence: its MAIL was refused).
    case backendSequenceError

    /// The counter a refusal advances.
    public enum Counter: Sendable, Equatable {
        /// `invalid_recipient_limit` (and `client_refusal_limit`): a guessed address; tarpitted.
        case invalidRecipient
        /// `error_limit`: a client mistake, not a probe; not tarpitted.
        case protocolError
    }

    /// What this refusal counts towards.
    ///
    /// Why a DNSBL refusal counts as an invalid recipient: a listed client that keeps probing
    /// addresses is exactly the harvester the limit is for; a legitimate listed sender gives up
    /// after a handful.
    public var counter: Counter {
        switch self {
        case .unqualifiedRecipient, .senderRouting, .dnsblListed, .pregreet, .unknownRecipient, .relayDenied, .backendRefused:
            .invalidRecipient
        case .badSyntax, .backendSequenceError:
            .protocolError
        }
    }

    /// Whether its reply waits for the tarpit: every 5xx to RCPT does (relayguard.conf(5), tarpit and harvest keys), a
    /// syntax error included; the backend's 503 (out of sequence, not a probe) does not.
    public var isTarpitted: Bool {
        switch self {
        case .badSyntax, .unqualifiedRecipient, .senderRouting, .dnsblListed, .pregreet, .unknownRecipient, .relayDenied,
             .backendRefused:
            true
        case .backendSequenceError:
            false
        }
    }

    /// The log's reason for a RCPT refused this way.
    public var reason: Reason {
        switch self {
        case .badSyntax: .badSyntax
        case .unqualifiedRecipient: .unqualifiedRecipient
        case .senderRouting: .senderRouting
        case .dnsblListed: .dnsblListed
        case .pregreet: .pregreet
        case .unknownRecipient: .unknownRecipient
        case .relayDenied: .relayDenied
        case .backendRefused: .backend
        case .backendSequenceError: .badSequence
        }
    }
}
