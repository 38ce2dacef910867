/// What relayguard does with a client that sends before its greeting (`pregreet_action`).
///
/// Why care: a real SMTP client waits for the 220 (RFC 5321 section 3.1); spam software in a
/// hurry does not. Postfix postscreen calls the test "pregreet".
public enum PregreetAction: String, Sendable, CaseIterable {
    /// Log it, and answer every later RCPT `550 5.5.1 Protocol error` (postmaster exempt),
    /// counted like any refused RCPT.
    case reject
    /// Log it only.
    case log
    /// Neither log nor act.
    case ignore
}
