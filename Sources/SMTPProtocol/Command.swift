/// One client command line, classified and parsed by `CommandParser`.
///
/// Recognised-but-refused commands (`bdat`, `xclient`, `xforward`, `etrn`, `turn`) carry no
/// arguments: they are never forwarded, so their arguments are not examined (docs/ARCHITECTURE.md, protocol safety).
public enum Command: Equatable, Hashable, Sendable {
    case helo(String)
    case ehlo(String)
    case mail(MailCommand)
    case rcpt(RecipientCommand)
    case data
    case rset
    /// `NOOP [string]`; the string is ignored.
    case noop
    case quit
    case vrfy(String)
    case expn(String)
    /// `HELP [string]`; the string is ignored.
    case help
    case starttls
    /// `AUTH mechanism [initial-response]`; the mechanism in upper case, the response as sent
    /// (base64, or `=` for an empty one).
    case auth(mechanism: String, initialResponse: String?)
    case bdat
    case xclient
    case xforward
    case etrn
    case turn
    /// A HAProxy PROXY header (a line starting `PROXY `) sent by the client itself.
    case proxyHeader
    /// Not SMTP: an HTTP request line, a mail or HTTP header line (`Name: value`), or a line
    /// with non-printable bytes such as a TLS ClientHello.
    case nonSMTP
    /// Any other verb, as sent.
    case unknown(String)

    /// The table row's verb; nil for a PROXY header, a non-SMTP line or an unknown verb.
    public var commandVerb: CommandVerb? {
        switch self {
        case .helo: .helo
        case .ehlo: .ehlo
        case .mail: .mail
        case .rcpt: .rcpt
        case .data: .data
        case .rset: .rset
        case .noop: .noop
        case .quit: .quit
        case .vrfy: .vrfy
        case .expn: .expn
        case .help: .help
        case .starttls: .starttls
        case .auth: .auth
        case .bdat: .bdat
        case .xclient: .xclient
        case .xforward: .xforward
        case .etrn: .etrn
        case .turn: .turn
        case .proxyHeader, .nonSMTP, .unknown: nil
        }
    }

    /// The verb for logs, in upper case: `MAIL`, `RCPT`; `PROXY` for a client PROXY header,
    /// `NON-SMTP` for a non-SMTP line; an unknown verb as sent.
    public var verb: String {
        switch self {
        case .proxyHeader: "PROXY"
        case .nonSMTP: "NON-SMTP"
        case .unknown(let verb): verb
        case .helo, .ehlo, .mail, .rcpt, .data, .rset, .noop, .quit, .vrfy, .expn, .help, .starttls, .auth, .bdat,
             .xclient, .xforward, .etrn, .turn:
            commandVerb?.rawValue ?? ""
        }
    }
}
