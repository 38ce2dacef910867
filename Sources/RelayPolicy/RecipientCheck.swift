/// `recipient_check`: who decides whether a local recipient exists (relayguard.conf(5), tarpit and harvest keys).
public enum RecipientCheck: String, Sendable, CaseIterable {
    /// relayguard's own list, `recipient_map`.
    case map
    /// Forward the RCPT; a 5xx from the backend counts as an invalid recipient.
    case backend
    /// No recipient check: every local recipient is forwarded.
    case off
}
