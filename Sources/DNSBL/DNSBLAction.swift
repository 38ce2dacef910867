/// `dnsbl_action`: what happens to a client whose DNSBL score reaches `dnsbl_threshold`.
public enum DNSBLAction: String, Sendable, CaseIterable {
    /// `554 5.7.1` at RCPT (postmaster stays reachable).
    case reject
    /// `554` greeting, no SMTP conversation.
    case rejectAtConnect = "reject-at-connect"
    /// Log the listing only.
    case log
}
