/// One client command line, classified and parsed by `CommandParser`.
///
/// Recognised-but-refused commands (`bdat`, `xclient`, `xforward`, `etrn`, `turn`) carry no
/// arguments: they are never forwarded, so their arguments are not examined (SPEC section 6).
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

    /// True for the commands after which no pipelined byte may be forwarded before their reply:
    /// EHLO, HELO, DATA, STARTTLS, AUTH, NOOP and QUIT (RFC 2920 section 3.1, SPEC section 6).
    ///
    /// Why NOOP: RFC 2920 lists it as ending a group, and clients use it as a sync point.
    /// Commands relayguard refuses or answers itself end no group: their replies are local and
    /// queued in order.
    public var isLastInGroup: Bool {
        switch self {
        case .ehlo, .helo, .data, .starttls, .auth, .noop, .quit:
            true
        case .mail, .rcpt, .rset, .vrfy, .expn, .help, .bdat, .xclient, .xforward, .etrn, .turn,
             .proxyHeader, .nonSMTP, .unknown:
            false
        }
    }

    /// The verb for logs, in upper case: `MAIL`, `RCPT`; `PROXY` for a client PROXY header,
    /// `NON-SMTP` for a non-SMTP line; an unknown verb as sent.
    public var verb: String {
        switch self {
        case .helo: CommandVerb.helo.rawValue
        case .ehlo: CommandVerb.ehlo.rawValue
        case .mail: CommandVerb.mail.rawValue
        case .rcpt: CommandVerb.rcpt.rawValue
        case .data: CommandVerb.data.rawValue
        case .rset: CommandVerb.rset.rawValue
        case .noop: CommandVerb.noop.rawValue
        case .quit: CommandVerb.quit.rawValue
        case .vrfy: CommandVerb.vrfy.rawValue
        case .expn: CommandVerb.expn.rawValue
        case .help: CommandVerb.help.rawValue
        case .starttls: CommandVerb.starttls.rawValue
        case .auth: CommandVerb.auth.rawValue
        case .bdat: CommandVerb.bdat.rawValue
        case .xclient: CommandVerb.xclient.rawValue
        case .xforward: CommandVerb.xforward.rawValue
        case .etrn: CommandVerb.etrn.rawValue
        case .turn: CommandVerb.turn.rawValue
        case .proxyHeader: "PROXY"
        case .nonSMTP: "NON-SMTP"
        case .unknown(let verb): verb
        }
    }
}
