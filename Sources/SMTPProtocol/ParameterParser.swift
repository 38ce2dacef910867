/// Parses the ESMTP parameters after the path of MAIL and RCPT (RFC 5321 section 4.1.2):
///
///     esmtp-param = esmtp-keyword ["=" esmtp-value]
///     esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
///
/// Keywords compare case-insensitively. Each known parameter is checked against its own RFC;
/// an unknown one is `unsupportedParameter`, a malformed or repeated one `badParameter`.
enum ParameterParser {
    /// One `keyword[=value]` token.
    struct Parameter {
        /// The keyword in upper case.
        var keyword: String
        /// The value as sent, or nil when there was no `=`.
        var value: String?
    }

    static func parseMailParameters(_ tokens: [ArraySlice<UInt8>]) -> Result<MailParameters, CommandError> {
        var parameters = MailParameters()
        var seen: Set<String> = []
        for token in tokens {
            let parameter: Parameter
            switch split(token, verb: .mail) {
            case .failure(let error): return .failure(error)
            case .success(let parsed): parameter = parsed
            }
            let keyword = parameter.keyword
            let bad = { (detail: String) in Result<MailParameters, CommandError>.failure(.badParameter(.mail, keyword: keyword, detail: detail)) }
            guard seen.insert(keyword).inserted else { return bad("given more than once") }
            switch keyword {
            case "SIZE":
                // RFC 1870: size-value ::= 1*20DIGIT
                guard let value = parameter.value, (1...20).contains(value.utf8.count),
                      value.utf8.allSatisfy(AddressLiteralSyntax.isDigit), let size = UInt64(value)
                else { return bad("needs a number of octets") }
                parameters.size = size
            case "BODY":
                guard let value = parameter.value, let body = MailParameters.Body(rawValue: ASCII.uppercased(value)) else {
                    return bad("must be 7BIT, 8BITMIME or BINARYMIME")
                }
                parameters.body = body
            case "SMTPUTF8":
                guard parameter.value == nil else { return bad("takes no value") }
                parameters.smtpUTF8 = true
            case "RET":
                guard let value = parameter.value, let dsnReturn = MailParameters.DSNReturn(rawValue: ASCII.uppercased(value)) else {
                    return bad("must be FULL or HDRS")
                }
                parameters.dsnReturn = dsnReturn
            case "ENVID":
                // RFC 3461 section 4.4: xtext, at most 100 characters.
                guard let value = parameter.value, isXtext(Array(value.utf8)[...], allowsUTF8: false),
                      value.utf8.count <= 100
                else { return bad("must be xtext of at most 100 characters") }
                parameters.envelopeID = value
            case "AUTH":
                // RFC 4954 section 5: AUTH=<> or AUTH=xtext.
                guard let value = parameter.value, value == "<>" || isXtext(Array(value.utf8)[...], allowsUTF8: false) else {
                    return bad("must be <> or xtext")
                }
                parameters.authenticatedSender = value
            default:
                return .failure(.unsupportedParameter(.mail, keyword: keyword))
            }
        }
        return .success(parameters)
    }

    static func parseRecipientParameters(_ tokens: [ArraySlice<UInt8>]) -> Result<RecipientParameters, CommandError> {
        var parameters = RecipientParameters()
        var seen: Set<String> = []
        for token in tokens {
            let parameter: Parameter
            switch split(token, verb: .rcpt) {
            case .failure(let error): return .failure(error)
            case .success(let parsed): parameter = parsed
            }
            let keyword = parameter.keyword
            let bad = { (detail: String) in Result<RecipientParameters, CommandError>.failure(.badParameter(.rcpt, keyword: keyword, detail: detail)) }
            guard seen.insert(keyword).inserted else { return bad("given more than once") }
            switch keyword {
            case "NOTIFY":
                guard let value = parameter.value, let notify = parseNotify(value) else {
                    return bad("must be NEVER or a list of SUCCESS, FAILURE, DELAY")
                }
                parameters.notify = notify
            case "ORCPT":
                guard let value = parameter.value, let original = parseOriginalRecipient(value) else {
                    return bad("must be addr-type;xtext of at most 500 characters")
                }
                parameters.originalRecipient = original
            default:
                return .failure(.unsupportedParameter(.rcpt, keyword: keyword))
            }
        }
        return .success(parameters)
    }

    /// Splits `keyword[=value]` and checks the generic syntax.
    private static func split(_ token: ArraySlice<UInt8>, verb: CommandVerb) -> Result<Parameter, CommandError> {
        let equals = token.firstIndex(of: UInt8(ascii: "="))
        let keywordBytes = token[..<(equals ?? token.endIndex)]
        let keywordText = ASCII.uppercased(keywordBytes)
        guard let first = keywordBytes.first, AddressLiteralSyntax.isLetterOrDigit(first),
              keywordBytes.allSatisfy({ AddressLiteralSyntax.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
        else {
            return .failure(.badParameter(verb, keyword: keywordText, detail: "is not an ESMTP keyword"))
        }
        guard let equals else { return .success(Parameter(keyword: keywordText, value: nil)) }
        let valueBytes = token[(equals + 1)...]
        // esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii): no "=", no space, no controls.
        guard !valueBytes.isEmpty,
              valueBytes.allSatisfy({ ($0 >= 33 && $0 != UInt8(ascii: "=") && $0 != 127) }),
              let value = String(validating: valueBytes, as: UTF8.self)
        else {
            return .failure(.badParameter(verb, keyword: keywordText, detail: "has a malformed value"))
        }
        return .success(Parameter(keyword: keywordText, value: value))
    }

    /// RFC 3461 section 4.1: `NEVER`, or a comma list of `SUCCESS`, `FAILURE`, `DELAY`, each at
    /// most once.
    private static func parseNotify(_ value: String) -> RecipientParameters.Notify? {
        let items = ASCII.uppercased(value).split(separator: ",", omittingEmptySubsequences: false)
        if items == ["NEVER"] { return .never }
        var success = false, failure = false, delay = false
        for item in items {
            switch item {
            case "SUCCESS" where !success: success = true
            case "FAILURE" where !failure: failure = true
            case "DELAY" where !delay: delay = true
            default: return nil
            }
        }
        return .on(success: success, failure: failure, delay: delay)
    }

    /// RFC 3461 section 4.2: `addr-type ";" xtext`, at most 500 characters; UTF-8 allowed in the
    /// address for RFC 6533 `utf-8` addresses.
    private static func parseOriginalRecipient(_ value: String) -> RecipientParameters.OriginalRecipient? {
        let bytes = Array(value.utf8)
        guard bytes.count <= 500, let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let addressType = bytes[..<semicolon]
        let address = bytes[(semicolon + 1)...]
        guard !addressType.isEmpty, addressType.allSatisfy(isAtomText),
              !address.isEmpty, isXtext(address, allowsUTF8: true)
        else { return nil }
        return RecipientParameters.OriginalRecipient(
            addressType: String(decoding: addressType, as: UTF8.self),
            address: String(decoding: address, as: UTF8.self))
    }

    /// RFC 3461 section 4: `xtext = *( xchar / hexchar )`, xchar = `!` to `~` but `+` and `=`,
    /// hexchar = `+` and two hex digits (either case accepted). With `allowsUTF8`, non-ASCII
    /// UTF-8 too (RFC 6533 `utf-8-addr-unitext`).
    static func isXtext(_ bytes: ArraySlice<UInt8>, allowsUTF8: Bool) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                guard index + 2 < bytes.endIndex, isHexDigit(bytes[index + 1]), isHexDigit(bytes[index + 2])
                else { return false }
                index += 3
                continue
            }
            let isXchar = byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")
            guard isXchar || (allowsUTF8 && byte >= 0x80) else { return false }
            index += 1
        }
        return true
    }

    /// RFC 5322 `atext`, for ORCPT's `addr-type = atom`.
    private static let atomSpecials: Set<UInt8> = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    private static func isAtomText(_ byte: UInt8) -> Bool {
        if AddressLiteralSyntax.isLetterOrDigit(byte) { return true }
        return atomSpecials.contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        AddressLiteralSyntax.isDigit(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }
}
