/// `bare_newline`: what a bare CR or LF inside DATA does (docs/ARCHITECTURE.md, protocol safety).
public enum BareNewlinePolicy: String, Sendable, CaseIterable {
    /// Reject the message (`550 5.6.0`); the backend never completes it.
    case reject
    /// Treat a bare LF exactly as Postfix `smtpd_forbid_bare_newline = normalize` does.
    case normalize
}
