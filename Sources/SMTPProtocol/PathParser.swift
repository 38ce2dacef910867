/// Parses the paths of `MAIL FROM` and `RCPT TO` as RFC 5321 section 4.1.2 `Path`:
///
///     Path = "<" [ A-d-l ":" ] Mailbox ">"      A-d-l = At-domain *( "," At-domain )
///     Mailbox = Local-part "@" ( Domain / address-literal )
///     Local-part = Dot-string / Quoted-string
///
/// with RFC 6531 UTF-8 in local parts and domain labels, one trailing dot tolerated on a
/// domain, and the limits of section 4.5.3.1 (local part 64, domain 255, path 256 octets, the
/// local part and domain measured as sent).
///
/// Why a path without a domain parses: `<postmaster>` must be accepted (RFC 5321 section 4.5.1)
/// and every other unqualified address refused as `unqualified_recipient` (relayguard.conf(5), RELAY DECISION,
/// rules 2 and 3), so `<user%remote.example>`, `<remote!user>` and `<"user@remote.example">`
/// come back as bare local parts (domain nil) for the relay policy to judge, never guessed at.
/// A source route followed by a bare local part is not a path and is a syntax error.
public enum PathParser {
    /// RFC 5321 section 4.5.3.1.1.
    public static let localPartLimit = 64
    /// RFC 5321 section 4.5.3.1.2.
    public static let domainLimit = 255
    /// RFC 5321 section 4.5.3.1.3, angle brackets included.
    public static let pathLimit = 256

    /// Parses the argument of `RCPT TO:`, `<...>`. The null path `<>` is refused.
    public static func parseForwardPath(_ text: Substring) -> Result<Mailbox, PathError> {
        parse(Array(text.utf8), allowsNullPath: false).map { path in
            switch path {
            case .mailbox(let mailbox): return mailbox
            case .null: preconditionFailure("null path parsed where it is not allowed")
            }
        }
    }

    /// Parses the argument of `MAIL FROM:`, `<>` or `<...>`.
    public static func parseReversePath(_ text: Substring) -> Result<ReversePath, PathError> {
        parse(Array(text.utf8), allowsNullPath: true)
    }

    // MARK: - Grammar

    private static let lessThan = UInt8(ascii: "<")
    private static let greaterThan = UInt8(ascii: ">")
    private static let at = UInt8(ascii: "@")
    private static let comma = UInt8(ascii: ",")
    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let hyphen = UInt8(ascii: "-")
    private static let openBracket = UInt8(ascii: "[")
    private static let closeBracket = UInt8(ascii: "]")

    private static func parse(_ bytes: [UInt8], allowsNullPath: Bool) -> Result<ReversePath, PathError> {
        guard bytes.first == lessThan else { return .failure(.syntax("path does not start with '<'")) }
        guard bytes.count >= 2, bytes.last == greaterThan else {
            return .failure(.syntax("path does not end with '>'"))
        }
        let end = bytes.count - 1
        if end == 1 {
            return allowsNullPath ? .success(.null) : .failure(.syntax("null path <> is not a recipient"))
        }
        var position = 1

        // Obsolete source route: @a,@b:
        var sourceRoute: [String] = []
        if bytes[position] == at {
            while true {
                position += 1
                let domainStart = position
                switch scanDomainName(bytes, from: position, end: end) {
                case .failure(let error): return .failure(error)
                case .success(let domainEnd): position = domainEnd
                }
                sourceRoute.append(String(decoding: bytes[domainStart..<position], as: UTF8.self))
                guard position < end else { return .failure(.syntax("source route not followed by ':'")) }
                if bytes[position] == colon {
                    position += 1
                    break
                }
                guard bytes[position] == comma, position + 1 < end, bytes[position + 1] == at else {
                    return .failure(.syntax("bad character in source route"))
                }
                position += 1
            }
            guard position < end else { return .failure(.syntax("source route without mailbox")) }
        }

        // Local part.
        let localStart = position
        let localPart: String
        let isQuoted = bytes[position] == quote
        if isQuoted {
            switch scanQuotedString(bytes, from: position, end: end) {
            case .failure(let error): return .failure(error)
            case .success(let (value, quotedEnd)):
                localPart = value
                position = quotedEnd
            }
        } else {
            switch scanDotString(bytes, from: position, end: end) {
            case .failure(let error): return .failure(error)
            case .success(let dotEnd): position = dotEnd
            }
            localPart = String(decoding: bytes[localStart..<position], as: UTF8.self)
        }
        let localLength = position - localStart
        let raw = String(decoding: bytes[1..<end], as: UTF8.self)

        // Bare local part: no domain.
        if position == end {
            guard sourceRoute.isEmpty else { return .failure(.syntax("source route without domain")) }
            guard localLength <= localPartLimit else { return .failure(.localPartTooLong) }
            guard bytes.count <= pathLimit else { return .failure(.pathTooLong) }
            return .success(.mailbox(Mailbox(localPart: localPart, localPartIsQuoted: isQuoted, domain: nil, raw: raw)))
        }
        guard bytes[position] == at else {
            return .failure(.syntax("unexpected character in local part"))
        }
        position += 1
        guard position < end else { return .failure(.syntax("empty domain")) }

        // Domain or address literal.
        let domainStart = position
        let domain: Domain
        if bytes[position] == openBracket {
            guard let close = bytes[position..<end].firstIndex(of: closeBracket) else {
                return .failure(.syntax("address literal without ']'"))
            }
            guard let literal = AddressLiteralSyntax.parse(bytes[(position + 1)..<close]) else {
                return .failure(.syntax("bad address literal"))
            }
            domain = .addressLiteral(literal)
            position = close + 1
        } else {
            switch scanDomainName(bytes, from: position, end: end) {
            case .failure(let error): return .failure(error)
            case .success(let domainEnd): position = domainEnd
            }
            domain = .name(String(decoding: bytes[domainStart..<position], as: UTF8.self))
        }
        if position < end {
            return .failure(.syntax(bytes[position] == at ? "more than one '@'" : "unexpected character after domain"))
        }
        guard localLength <= localPartLimit else { return .failure(.localPartTooLong) }
        guard position - domainStart <= domainLimit else { return .failure(.domainTooLong) }
        guard bytes.count <= pathLimit else { return .failure(.pathTooLong) }
        return .success(.mailbox(Mailbox(
            localPart: localPart, localPartIsQuoted: isQuoted, domain: domain,
            sourceRoute: sourceRoute, raw: raw)))
    }

    /// `Dot-string = Atom *("." Atom)`. Returns the index just past it.
    private static func scanDotString(_ bytes: [UInt8], from start: Int, end: Int) -> Result<Int, PathError> {
        var position = start
        while true {
            let atomStart = position
            while position < end && isAtext(bytes[position]) { position += 1 }
            guard position > atomStart else {
                return .failure(.syntax(atomStart == start ? "empty local part" : "empty atom in local part"))
            }
            guard position < end, bytes[position] == dot else { return .success(position) }
            position += 1
        }
    }

    /// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`, quoted pairs decoded.
    /// Returns the decoded text and the index just past the closing quote.
    private static func scanQuotedString(_ bytes: [UInt8], from start: Int, end: Int) -> Result<(String, Int), PathError> {
        var position = start + 1
        var value: [UInt8] = []
        while position < end {
            let byte = bytes[position]
            if byte == quote {
                return .success((String(decoding: value, as: UTF8.self), position + 1))
            }
            if byte == backslash {
                // quoted-pairSMTP = "\" %d32-126
                guard position + 1 < end, (32...126).contains(bytes[position + 1]) else {
                    return .failure(.syntax("bad quoted pair in local part"))
                }
                value.append(bytes[position + 1])
                position += 2
                continue
            }
            guard isQtext(byte) else { return .failure(.syntax("bad character in quoted local part")) }
            value.append(byte)
            position += 1
        }
        return .failure(.syntax("unterminated quoted local part"))
    }

    /// `Domain = sub-domain *("." sub-domain)`, `sub-domain = Let-dig [Ldh-str]` or a U-label,
    /// with one trailing dot tolerated. Returns the index just past it (trailing dot included).
    private static func scanDomainName(_ bytes: [UInt8], from start: Int, end: Int) -> Result<Int, PathError> {
        var position = start
        var labels = 0
        while true {
            let labelStart = position
            var isASCII = true
            while position < end && isLabelByte(bytes[position]) {
                if bytes[position] >= 0x80 { isASCII = false }
                position += 1
            }
            if position == labelStart {
                if labels == 0 { return .failure(.syntax("empty domain")) }
                // After a dot: a trailing dot, unless another dot follows.
                if position < end && bytes[position] == dot { return .failure(.syntax("empty domain label")) }
                return .success(position)
            }
            guard bytes[labelStart] != hyphen, bytes[position - 1] != hyphen else {
                return .failure(.syntax("domain label starts or ends with '-'"))
            }
            if isASCII && position - labelStart > 63 {
                return .failure(.syntax("domain label longer than 63 octets"))
            }
            labels += 1
            guard position < end, bytes[position] == dot else { return .success(position) }
            position += 1
        }
    }

    /// RFC 5321 `atext` (RFC 5322 section 3.2.3) plus RFC 6531 UTF-8 non-ASCII.
    private static func isAtext(_ byte: UInt8) -> Bool {
        if byte >= 0x80 || AddressLiteralSyntax.isLetterOrDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"),
             UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `qtextSMTP = %d32-33 / %d35-91 / %d93-126` plus RFC 6531 UTF-8 non-ASCII.
    private static func isQtext(_ byte: UInt8) -> Bool {
        byte == 32 || byte == 33 || (35...91).contains(byte) || (93...126).contains(byte) || byte >= 0x80
    }

    /// Letters, digits, hyphen, and RFC 6531 UTF-8 non-ASCII (U-labels).
    private static func isLabelByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || AddressLiteralSyntax.isLetterOrDigit(byte) || byte == hyphen
    }
}
