/// The closed vocabularies of the decision log (relayguard(8), DECISION LOG). Users script against these
/// names: change them only together with the man pages.

/// What a record was decided on.
public enum Event: String, Sendable, CaseIterable {
    case connect, helo, mail, rcpt, data, message, command, tls, auth, disconnect, dnsbl, reload, error
    /// An action through the control socket (`relayguard ctl`).
    case control
    /// relayguard is stopping.
    case shutdown
}

/// The outcome of a decision.
public enum Decision: String, Sendable, CaseIterable {
    case accept, reject, tempfail, drop
}

/// Machine-readable reason for a decision.
public enum Reason: String, Sendable, CaseIterable {
    case accepted
    case relayDenied = "relay_denied"
    case senderRouting = "sender_routing"
    case unknownRecipient = "unknown_recipient"
    case unqualifiedRecipient = "unqualified_recipient"
    case dnsblListed = "dnsbl_listed"
    case dnsblTimeout = "dnsbl_timeout"
    case dnsblError = "dnsbl_error"
    case harvestBlocked = "harvest_blocked"
    case tooManyInvalidRecipients = "too_many_invalid_recipients"
    case tooManyErrors = "too_many_errors"
    case tooManyRecipients = "too_many_recipients"
    case tooManyConnections = "too_many_connections"
    case bareNewline = "bare_newline"
    case lineTooLong = "line_too_long"
    case badSyntax = "bad_syntax"
    case badSequence = "bad_sequence"
    case commandNotAllowed = "command_not_allowed"
    case nonSMTPCommand = "non_smtp_command"
    case clientProxyHeader = "client_proxy_header"
    case timeout
    case clientClosed = "client_closed"
    case backendUnavailable = "backend_unavailable"
    case backend
    case trustedNetwork = "trusted_network"
    case localDomain = "local_domain"
    case relayDomain = "relay_domain"
    case authenticated
    case tlsFailed = "tls_failed"
    case authFailed = "auth_failed"
    case reloadFailed = "reload_failed"
    case shutdown
    /// The client sent something before relayguard's greeting (an early talker).
    case pregreet
    /// The refusal that brought a client's refusals across sessions to `client_refusal_limit`.
    case clientRefusalLimit = "client_refusal_limit"
    /// An operator lifted a block (`relayguard ctl unblock`).
    case unblocked
    /// An operator blocked a client (`relayguard ctl block`).
    case blockedByOperator = "blocked_by_operator"
}
