/// The SMTP verbs relayguard recognises, spelled as on the wire (upper case).
/// Verbs compare case-insensitively (RFC 5321 section 2.4).
public enum CommandVerb: String, Hashable, Sendable, CaseIterable {
    case helo = "HELO"
    case ehlo = "EHLO"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case rset = "RSET"
    case noop = "NOOP"
    case quit = "QUIT"
    case vrfy = "VRFY"
    case expn = "EXPN"
    case help = "HELP"
    case starttls = "STARTTLS"
    case auth = "AUTH"
    case bdat = "BDAT"
    case xclient = "XCLIENT"
    case xforward = "XFORWARD"
    case etrn = "ETRN"
    case turn = "TURN"

    /// The command's syntax, as `501 5.5.4 Syntax: ...` replies show it.
    public var usage: String {
        switch self {
        case .helo: "HELO hostname"
        case .ehlo: "EHLO hostname"
        case .mail: "MAIL FROM:<address>"
        case .rcpt: "RCPT TO:<address>"
        case .data: "DATA"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .vrfy: "VRFY address"
        case .expn: "EXPN mailing-list"
        case .help: "HELP"
        case .starttls: "STARTTLS"
        case .auth: "AUTH mechanism [initial-response]"
        case .bdat: "BDAT size [LAST]"
        case .xclient: "XCLIENT attribute=value..."
        case .xforward: "XFORWARD attribute=value..."
        case .etrn: "ETRN domain"
        case .turn: "TURN"
        }
    }
}
