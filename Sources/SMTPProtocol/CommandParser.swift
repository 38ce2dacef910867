/// Turns one framed command line into a `Command`, or says why it is refused.
///
/// Contract:
/// - The line is taken as `LineFramer` returns it; a final CRLF is ignored.
/// - The verb is the text up to the first space, compared as ASCII bytes, case-insensitively.
///   Known verbs go through the table `CommandVerb.rules` (their arguments) and an exhaustive
///   switch; anything else, a verb with a non-ASCII byte included, is `.unknown`.
/// - A PROXY header, an HTTP request line, a header line (`Name: value`) and a line with
///   non-printable bytes are classified, not refused: the proxy closes those sessions
///   (`421 4.7.0 Not SMTP`), which a plain syntax error would not do.
/// - MAIL and RCPT: `MAIL FROM:<path> [params]`, `RCPT TO:<path> [params]`; spaces after the
///   colon are tolerated as Postfix does, the angle brackets are required. A bad path is
///   `badSenderPath` / `badRecipientPath` so the relay policy can log a bad RCPT as an `rcpt` event.
public enum CommandParser {
    /// HTTP request methods: a client speaking HTTP to port 25 (or a cross-protocol attack
    /// from a browser) is not an SMTP client.
    static let httpMethods: [[UInt8]] = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"]
        .map { Array($0.utf8) }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Parses one command line, with or without its CRLF.
    public static func parse(_ line: [UInt8]) -> Result<Command, CommandError> {
        var content = line[...]
        if content.count >= 2 && content[content.endIndex - 2] == 13 && content[content.endIndex - 1] == 10 {
            content = content.dropLast(2)
        }
        // Non-printable bytes (TAB aside): a TLS ClientHello or other binary protocol.
        if content.contains(where: { ($0 < 0x20 && $0 != tab) || $0 == 0x7F }) {
            return .success(.nonSMTP)
        }
        let verbEnd = content.firstIndex(of: space) ?? content.endIndex
        let verbBytes = content[..<verbEnd]
        guard !verbBytes.isEmpty else { return .failure(.missingVerb) }
        let arguments = content[verbEnd...]

        if ASCII.equalsIgnoringCase(verbBytes, Array("PROXY".utf8)) { return .success(.proxyHeader) }
        if httpMethods.contains(where: { ASCII.equalsIgnoringCase(verbBytes, $0) }) { return .success(.nonSMTP) }
        if isHeaderName(verbBytes) { return .success(.nonSMTP) }
        guard let verb = CommandVerb(asciiBytes: verbBytes) else {
            return .success(.unknown(String(decoding: verbBytes, as: UTF8.self)))
        }

        // The table says what follows the verb; MAIL, RCPT and AUTH have their own grammar.
        switch verb.rules.arguments {
        case .none:
            guard trimmed(arguments).isEmpty else { return .failure(.unexpectedArgument(verb)) }
        case .required:
            guard !trimmed(arguments).isEmpty else { return .failure(.missingArgument(verb)) }
        case .ignored, .own:
            break
        }
        switch verb {
        case .helo:
            return textArgument(arguments, verb: verb).map { .helo($0) }
        case .ehlo:
            return textArgument(arguments, verb: verb).map { .ehlo($0) }
        case .mail:
            return parseMail(arguments)
        case .rcpt:
            return parseRecipient(arguments)
        case .data:
            return .success(.data)
        case .rset:
            return .success(.rset)
        case .noop:
            return .success(.noop)
        case .quit:
            return .success(.quit)
        case .vrfy:
            return textArgument(arguments, verb: verb).map { .vrfy($0) }
        case .expn:
            return textArgument(arguments, verb: verb).map { .expn($0) }
        case .help:
            return .success(.help)
        case .starttls:
            return .success(.starttls)
        case .auth:
            return parseAuth(arguments)
        case .bdat:
            return .success(.bdat)
        case .xclient:
            return .success(.xclient)
        case .xforward:
            return .success(.xforward)
        case .etrn:
            return .success(.etrn)
        case .turn:
            return .success(.turn)
        }
    }

    // MARK: - Arguments

    /// A first word ending in `:` after a field name (`Host:`, `User-Agent:`, `Subject:`):
    /// a mail or HTTP header line, as Postfix's `smtpd_forbidden_commands` pattern `^[^ ]+: `
    /// catches them.
    private static func isHeaderName(_ word: ArraySlice<UInt8>) -> Bool {
        guard word.count >= 2, word.last == UInt8(ascii: ":") else { return false }
        return !word.dropLast().contains(UInt8(ascii: ":"))
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var result = bytes
        while result.first == space { result = result.dropFirst() }
        while result.last == space { result = result.dropLast() }
        return result
    }

    private static func words(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        bytes.split(separator: space)
    }

    /// The argument as text; the table has already required it.
    private static func textArgument(_ arguments: ArraySlice<UInt8>, verb: CommandVerb) -> Result<String, CommandError> {
        guard let text = String(validating: trimmed(arguments), as: UTF8.self) else {
            return .failure(.badArgument(verb, detail: "invalid UTF-8"))
        }
        return .success(text)
    }

    // MARK: - MAIL and RCPT

    private static func parseMail(_ arguments: ArraySlice<UInt8>) -> Result<Command, CommandError> {
        switch splitPathAndParameters(arguments, keyword: "FROM:", verb: .mail) {
        case .failure(.missingKeyword):
            return .failure(.badArgument(.mail, detail: "expected FROM:"))
        case .failure(.path(let error)):
            return .failure(.badSenderPath(error))
        case .success(let (pathText, parameterTokens)):
            let sender: ReversePath
            switch PathParser.parseReversePath(pathText[...]) {
            case .failure(let error): return .failure(.badSenderPath(error))
            case .success(let path): sender = path
            }
            return ParameterParser.parseMailParameters(parameterTokens).map {
                .mail(MailCommand(reversePath: sender, parameters: $0))
            }
        }
    }

    private static func parseRecipient(_ arguments: ArraySlice<UInt8>) -> Result<Command, CommandError> {
        switch splitPathAndParameters(arguments, keyword: "TO:", verb: .rcpt) {
        case .failure(.missingKeyword):
            return .failure(.badArgument(.rcpt, detail: "expected TO:"))
        case .failure(.path(let error)):
            return .failure(.badRecipientPath(error))
        case .success(let (pathText, parameterTokens)):
            let recipient: Mailbox
            switch PathParser.parseForwardPath(pathText[...]) {
            case .failure(let error): return .failure(.badRecipientPath(error))
            case .success(let mailbox): recipient = mailbox
            }
            return ParameterParser.parseRecipientParameters(parameterTokens).map {
                .rcpt(RecipientCommand(forwardPath: recipient, parameters: $0))
            }
        }
    }

    private enum SplitError: Error {
        case missingKeyword
        case path(PathError)
    }

    /// Splits ` FROM:<path> params` (or ` TO:`) into the path text, `<` to `>` inclusive, and
    /// the parameter words. The path ends at the first `>` outside a quoted string or an
    /// address literal.
    private static func splitPathAndParameters(
        _ arguments: ArraySlice<UInt8>, keyword: String, verb: CommandVerb
    ) -> Result<(String, [ArraySlice<UInt8>]), SplitError> {
        guard arguments.first == space else { return .failure(.missingKeyword) }
        var rest = arguments
        while rest.first == space { rest = rest.dropFirst() }
        let keywordBytes = Array(keyword.utf8)
        guard rest.count >= keywordBytes.count,
              ASCII.equalsIgnoringCase(rest.prefix(keywordBytes.count), keywordBytes)
        else { return .failure(.missingKeyword) }
        rest = rest.dropFirst(keywordBytes.count)
        while rest.first == space { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return .failure(.path(.syntax("missing path"))) }
        guard rest.first == UInt8(ascii: "<") else {
            return .failure(.path(.syntax("path must be enclosed in angle brackets")))
        }

        var index = rest.startIndex + 1
        var inQuotes = false
        var inLiteral = false
        var pathEnd: Int? = nil
        while index < rest.endIndex {
            let byte = rest[index]
            if inQuotes {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if inLiteral {
                if byte == UInt8(ascii: "]") { inLiteral = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: "[") {
                inLiteral = true
            } else if byte == UInt8(ascii: ">") {
                pathEnd = index
                break
            }
            index += 1
        }
        guard let pathEnd else { return .failure(.path(.syntax("path does not end with '>'"))) }
        let pathBytes = rest[...pathEnd]
        guard let pathText = String(validating: pathBytes, as: UTF8.self) else {
            return .failure(.path(.syntax("invalid UTF-8 in path")))
        }
        let parameterBytes = rest[(pathEnd + 1)...]
        guard parameterBytes.isEmpty || parameterBytes.first == space else {
            return .failure(.path(.syntax("text after '>'")))
        }
        return .success((pathText, words(parameterBytes)))
    }

    // MARK: - AUTH

    /// RFC 4954: `AUTH mechanism [initial-response]`, mechanism per RFC 4422 (`1*20` upper-case
    /// letters, digits, `-`, `_`; accepted in any case), initial response base64 or `=`.
    private static func parseAuth(_ arguments: ArraySlice<UInt8>) -> Result<Command, CommandError> {
        let parts = words(arguments)
        guard let mechanismBytes = parts.first else { return .failure(.missingArgument(.auth)) }
        guard parts.count <= 2 else { return .failure(.badArgument(.auth, detail: "too many arguments")) }
        guard (1...20).contains(mechanismBytes.count),
              mechanismBytes.allSatisfy({ AddressLiteralSyntax.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return .failure(.badArgument(.auth, detail: "bad mechanism name")) }
        let mechanism = ASCII.uppercased(mechanismBytes)
        guard parts.count == 2 else { return .success(.auth(mechanism: mechanism, initialResponse: nil)) }
        let response = parts[1]
        guard isBase64OrEmptyMarker(response) else {
            return .failure(.badArgument(.auth, detail: "initial response is not base64"))
        }
        return .success(.auth(mechanism: mechanism, initialResponse: String(decoding: response, as: UTF8.self)))
    }

    /// `=` (an empty initial response), or base64: a multiple of four characters from the
    /// base64 alphabet with at most two `=` of padding at the end.
    private static func isBase64OrEmptyMarker(_ bytes: ArraySlice<UInt8>) -> Bool {
        if bytes.elementsEqual([UInt8(ascii: "=")]) { return true }
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return false }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return false }
        return bytes.dropLast(padding).allSatisfy {
            AddressLiteralSyntax.isLetterOrDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/")
        }
    }
}
