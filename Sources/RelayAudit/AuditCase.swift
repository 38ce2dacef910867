/// One relay attempt of the open-relay audit (relayguard(8), audit): the envelope the auditor sends
/// with `MAIL FROM` and `RCPT TO`, exactly as written on the wire, angle brackets included.
///
/// Every case is a relay attempt: its recipient is meant for a domain the server must not relay
/// to for a stranger, however the address is dressed up. A 2xx to its RCPT is an open relay.
public struct AuditCase: Sendable, Equatable {
    /// What the case tries, in the administrator's words: `test 6: percent hack at the local domain`.
    public var name: String
    /// The reverse-path, e.g. `<user@external.invalid>` or `<>`.
    public var mail: String
    /// The forward-path, e.g. `<user%external.invalid@example.org>`.
    public var rcpt: String

    public init(name: String, mail: String, rcpt: String) {
        self.name = name
        self.mail = mail
        self.rcpt = rcpt
    }

    /// The command line that opens the transaction, without CRLF.
    public var mailCommand: String { "MAIL FROM:\(mail)" }
    /// The command line that asks for the relay, without CRLF.
    public var rcptCommand: String { "RCPT TO:\(rcpt)" }
}
