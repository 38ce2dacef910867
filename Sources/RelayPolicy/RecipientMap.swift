/// relayguard's own list of the recipients that exist behind the backend
/// (`recipient_check = map`, relayguard.conf(5), tarpit and harvest keys).
///
/// One entry per line: `user@domain` accepts that address, `@domain` accepts every address
/// of the domain. The file may be a Postfix lookup-table source (`virtual`, `vmailbox`): the
/// first field of a line is the address and the rest of the line (the table's value) is
/// ignored; a line that starts with white space continues the previous entry's value and is
/// ignored too. Blank lines and lines starting with `#` are ignored. Entries compare
/// case-insensitively, domains without a trailing dot. A UTF-8 byte order mark is skipped.
///
/// Why case-insensitive local parts: RFC 5321 lets a server treat local parts as case-sensitive,
/// but no mail administrator keeps `Alice` and `alice` as different mailboxes, and Postfix's
/// lookup tables fold case too. A map that said "unknown" to `Alice@` would bounce real mail.
public struct RecipientMap: Sendable, Equatable {
    private var addresses: Set<String> = []
    private var domains: Set<String> = []

    /// An empty map: every local recipient is unknown.
    public init() {}

    /// Parses the map file's text. `file` names the file in errors (`FILE:LINE: what`).
    public init(parsing text: String, file: String) throws(ConfigurationError) {
        var lineNumber = 0
        let text = ConfigurationText.withoutByteOrderMark(text)
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            // A continuation line (Postfix table source): part of the previous entry's value.
            if let first = rawLine.first, first == " " || first == "\t" { continue }
            let trimmed = rawLine.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // The first field is the address; the rest is a Postfix table's value.
            let line = trimmed.prefix { $0 != " " && $0 != "\t" }
            guard let at = line.lastIndex(of: "@") else {
                throw ConfigurationError(file: file, line: lineNumber, message: "recipient map entry \"\(line)\" needs a domain: use user@domain or @domain")
            }
            let local = line[..<at]
            let domain = DomainMatcher.normalise(String(line[line.index(after: at)...]))
            if domain.isEmpty {
                throw ConfigurationError(file: file, line: lineNumber, message: "recipient map entry \"\(line)\" has an empty domain")
            }
            if local.isEmpty {
                domains.insert(domain)
            } else {
                addresses.insert(local.lowercased() + "@" + domain)
            }
        }
    }

    /// Builds a map from entries (for tests and the embedded demo configuration).
    public init(entries: [String]) throws(ConfigurationError) {
        try self.init(parsing: entries.joined(separator: "\n"), file: "(entries)")
    }

    /// Number of entries (addresses and whole domains).
    public var count: Int { addresses.count + domains.count }

    /// Whether the recipient exists. `domain` is the domain text as sent (a host name);
    /// address literals are looked up by their bracketed text.
    public func contains(localPart: String, domain: String) -> Bool {
        let normalisedDomain = DomainMatcher.normalise(domain)
        if domains.contains(normalisedDomain) { return true }
        return addresses.contains(localPart.lowercased() + "@" + normalisedDomain)
    }
}

fileprivate extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
