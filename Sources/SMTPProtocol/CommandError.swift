/// Why a client command line was refused before any policy looked at it.
/// The session turns it into a wire reply (in one place: `CommandRefusal` in SMTPSession).
public enum CommandError: Error, Equatable, Hashable, Sendable {
    /// The line exceeded its limit (`FramerEvent.lineTooLong`).
    case lineTooLong(limit: Int)
    /// The line held a bare CR, a bare LF or a NUL (`FramerEvent.malformedLine`).
    case malformedLine(LineDefect)
    /// An empty line, or a line starting with a space: no verb.
    case missingVerb
    /// A command that takes no argument got one (`DATA x`).
    case unexpectedArgument(CommandVerb)
    /// A command that needs an argument got none (`EHLO`).
    case missingArgument(CommandVerb)
    /// The argument does not follow the command's syntax (`MAIL TO:<x>`, a bad AUTH mechanism,
    /// invalid UTF-8); `detail` is for the log.
    case badArgument(CommandVerb, detail: String)
    /// The `MAIL FROM` path is not an RFC 5321 reverse path.
    case badSenderPath(PathError)
    /// The `RCPT TO` path is not an RFC 5321 forward path; the relay policy logs it as an `rcpt`
    /// event with reason `bad_syntax`.
    case badRecipientPath(PathError)
    /// A MAIL or RCPT parameter relayguard does not accept on that verb; the keyword upper-cased.
    case unsupportedParameter(CommandVerb, keyword: String)
    /// A known MAIL or RCPT parameter with a malformed value, or given twice.
    case badParameter(CommandVerb, keyword: String, detail: String)

    public var detail: String {
        switch self {
        case .lineTooLong(let limit): "line longer than \(limit) octets"
        case .malformedLine(.bareCR): "bare CR in command"
        case .malformedLine(.bareLF): "bare LF in command"
        case .malformedLine(.nul): "NUL in command"
        case .missingVerb: "no command verb"
        case .unexpectedArgument(let verb): "\(verb.rawValue) takes no argument"
        case .missingArgument(let verb): "\(verb.rawValue) needs an argument"
        case .badArgument(let verb, let detail): "\(verb.rawValue): \(detail)"
        case .badSenderPath(let error): "sender: \(Self.describe(error))"
        case .badRecipientPath(let error): "recipient: \(Self.describe(error))"
        case .unsupportedParameter(let verb, let keyword): "\(verb.rawValue): unsupported parameter \(keyword)"
        case .badParameter(let verb, let keyword, let detail): "\(verb.rawValue): \(keyword) \(detail)"
        }
    }

    private static func describe(_ error: PathError) -> String {
        switch error {
        case .syntax(let text): text
        case .localPartTooLong: "local part longer than \(PathParser.localPartLimit) octets"
        case .domainTooLong: "domain longer than \(PathParser.domainLimit) octets"
        case .pathTooLong: "path longer than \(PathParser.pathLimit) octets"
        }
    }
}
