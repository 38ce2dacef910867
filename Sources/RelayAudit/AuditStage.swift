/// The step of a case's dialogue where the server answered, refused or went away.
public enum AuditStage: String, Sendable, Equatable, CaseIterable {
    /// The greeting of a new connection.
    case connect
    /// EHLO (or HELO after a refused EHLO).
    case helo
    case rset
    case mail
    case rcpt

    /// The word printed in the table: `connect`, `EHLO`, `RSET`, `MAIL`, `RCPT`.
    public var label: String {
        switch self {
        case .connect: "connect"
        case .helo: "EHLO"
        case .rset: "RSET"
        case .mail: "MAIL"
        case .rcpt: "RCPT"
        }
    }
}
