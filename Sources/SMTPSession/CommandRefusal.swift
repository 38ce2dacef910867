import DecisionLog
import SMTPProtocol

/// Every reply relayguard writes to refuse a command, with the reason its record gives: the
/// one place where protocol errors become wire replies (docs/ARCHITECTURE.md, protocol safety). The session decides
/// *that* a command is refused; this type says *how* it reads on the wire.
enum CommandRefusal: Equatable {
    /// The line is longer than its limit (512, or 2048 for MAIL and RCPT).
    case lineTooLong
    /// A bare CR, bare LF or NUL in a command line.
    case malformedLine(LineDefect)
    /// The parser refused the line's syntax.
    case syntax(CommandError)
    /// A verb relayguard recognises and never forwards (XCLIENT, ETRN, BDAT, ...), or an
    /// unknown one.
    case notRecognized
    /// STARTTLS without a certificate, EXPN.
    case notImplemented
    /// MAIL, RCPT or DATA after STARTTLS before a new EHLO; AUTH before EHLO.
    case needHello
    /// RCPT or DATA with no transaction open.
    case needMail
    /// MAIL inside an open transaction.
    case nestedMail
    case tlsAlreadyActive
    /// STARTTLS inside a mail transaction.
    case startTLSInTransaction
    /// AUTH outside TLS.
    case authNotEnabled
    case alreadyAuthenticated
    /// AUTH inside a mail transaction.
    case authNotAllowedNow
    /// A SASL response with a bare CR, bare LF or NUL, or too long.
    case badSASLResponse
    /// After a 554 greeting, anything but QUIT.
    case onlyQuitAllowed

    /// The reply the client gets.
    var reply: Reply {
        switch self {
        case .lineTooLong: Reply(500, "5.5.2", "Error: line too long")
        case .malformedLine(.bareCR), .malformedLine(.bareLF): Reply(500, "5.5.2", "Error: bare CR or LF in command")
        case .malformedLine(.nul): Reply(500, "5.5.2", "Error: NUL in command")
        case .syntax(let error): Self.reply(for: error)
        case .notRecognized: Reply(502, "5.5.1", "Error: command not recognized")
        case .notImplemented: Reply(502, "5.5.1", "Error: command not implemented")
        case .needHello: Reply(503, "5.5.1", "Error: send HELO/EHLO first")
        case .needMail: Reply(503, "5.5.1", "Error: need MAIL command")
        case .nestedMail: Reply(503, "5.5.1", "Error: nested MAIL command")
        case .tlsAlreadyActive: Reply(503, "5.5.1", "Error: TLS already active")
        case .startTLSInTransaction: Reply(503, "5.5.1", "Error: STARTTLS not allowed inside a mail transaction")
        case .authNotEnabled: Reply(503, "5.5.1", "Error: authentication not enabled")
        case .alreadyAuthenticated: Reply(503, "5.5.1", "Error: already authenticated")
        case .authNotAllowedNow: Reply(503, "5.5.1", "Error: AUTH not allowed now")
        case .badSASLResponse: Reply(501, "5.5.2", "Error: bad SASL response")
        case .onlyQuitAllowed: Reply(503, "5.5.1", "Error: access denied for your address; only QUIT")
        }
    }

    /// The reason the decision record gives.
    var reason: Reason {
        switch self {
        case .lineTooLong: .lineTooLong
        case .malformedLine(.bareCR), .malformedLine(.bareLF): .bareNewline
        case .malformedLine(.nul), .syntax, .badSASLResponse: .badSyntax
        case .notRecognized, .notImplemented, .authNotEnabled: .commandNotAllowed
        case .needHello, .needMail, .nestedMail, .tlsAlreadyActive, .startTLSInTransaction, .alreadyAuthenticated,
             .authNotAllowedNow:
            .badSequence
        case .onlyQuitAllowed: .dnsblListed
        }
    }

    /// The parser's errors as replies (RFC 5321 section 4.2.4 codes, RFC 3463 enhanced codes).
    static func reply(for error: CommandError) -> Reply {
        switch error {
        case .lineTooLong: CommandRefusal.lineTooLong.reply
        case .malformedLine(let defect): CommandRefusal.malformedLine(defect).reply
        case .missingVerb: Reply(500, "5.5.2", "Error: bad syntax")
        case .unexpectedArgument(let verb), .missingArgument(let verb), .badArgument(let verb, _):
            Reply(501, "5.5.4", "Syntax: \(verb.usage)")
        case .badSenderPath: Reply(501, "5.1.7", "Bad sender address syntax")
        case .badRecipientPath: Reply(501, "5.1.3", "Bad recipient address syntax")
        case .unsupportedParameter(_, let keyword): Reply(555, "5.5.4", "Unsupported option: \(keyword)")
        case .badParameter(_, let keyword, _): Reply(501, "5.5.4", "Bad \(keyword) parameter syntax")
        }
    }
}

/// The replies relayguard writes that are not refusals of one command.
enum LocalReply {
    static let vrfy = Reply(252, "2.5.2", "Cannot VRFY user")
    static let expn = Reply(502, "5.5.1", "Error: command not implemented")
    static let readyForTLS = Reply(220, "2.0.0", "Ready to start TLS")
    static let bye = Reply(221, "2.0.0", "Bye")
    static let notSMTP = Reply(421, "4.7.0", "Not SMTP; closing")
    static let refusedMessage = Reply(550, "5.6.0", "Error: message contains bare CR, bare LF or NUL; not accepted")

    static func serviceUnavailable(_ hostname: String) -> Reply {
        Reply(421, "4.3.0", "\(hostname) Service not available, closing transmission channel")
    }
    static func backendLost(_ hostname: String) -> Reply {
        Reply(451, "4.3.0", "\(hostname) Error: connection to the mail server lost, try again later")
    }
    static func timeout(_ hostname: String) -> Reply {
        Reply(421, "4.4.2", "\(hostname) Error: timeout exceeded")
    }
    static func shuttingDown(_ hostname: String) -> Reply {
        Reply(421, "4.3.2", "\(hostname) Service shutting down, closing transmission channel")
    }
    static func closingAfterRefusedMessage(_ hostname: String) -> Reply {
        Reply(421, "4.3.0", "\(hostname) Closing connection after refused message")
    }
    static func pipelinedAuth(_ hostname: String) -> Reply {
        Reply(421, "4.7.0", "\(hostname) Error: pipelining not allowed during AUTH; closing")
    }
}
