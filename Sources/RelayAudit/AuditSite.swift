/// The names the audit cases are built from: who the audited server says it is, and which
/// domain is certainly foreign to it.
///
/// - `localDomain`: a domain the server receives mail for (`--local-domain`, or guessed from the
///   name in its greeting, see `guessLocalDomain(fromServerName:)`). The routing tricks (`%`, `!`,
///   quoted `@`) are tried at this domain, because there a careless server accepts them.
/// - `externalDomain`: the relay destination. The default `external.invalid` cannot exist
///   (RFC 2606 reserves `.invalid`), so even an open relay can never deliver anything.
/// - `serverName`: the host name from the greeting (or EHLO reply), used as a sender domain and
///   in a source route.
/// - `serverLiteral`: the server's own address as an address literal, `[192.0.2.25]` or
///   `[IPv6:2001:db8::25]`.
public struct AuditSite: Sendable, Equatable {
    public var localDomain: String
    public var externalDomain: String
    public var serverName: String
    public var serverLiteral: String

    public static let defaultExternalDomain = "external.invalid"

    public init(localDomain: String, externalDomain: String = AuditSite.defaultExternalDomain,
                serverName: String, serverLiteral: String) {
        self.localDomain = localDomain
        self.externalDomain = externalDomain
        self.serverName = serverName
        self.serverLiteral = serverLiteral
    }

    /// The address literal for a numeric IP address: `[192.0.2.25]`, or `[IPv6:…]` when the
    /// address contains a colon (RFC 5321 section 4.1.3).
    public static func addressLiteral(forIP address: String) -> String {
        address.contains(":") ? "[IPv6:\(address)]" : "[\(address)]"
    }

    /// The host name a greeting or EHLO reply announces: the first word of its first line,
    /// when it looks like a domain name (letters, digits, `-` and `.`, with a letter somewhere).
    /// `220 mx.example.org ESMTP Postfix` gives `mx.example.org`.
    public static func serverName(fromReplyText text: String) -> String? {
        guard let word = text.split(separator: " ", omittingEmptySubsequences: true).first else { return nil }
        var name = String(word)
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains(".."),
              name.unicodeScalars.allSatisfy({ isHostNameScalar($0) }),
              name.unicodeScalars.contains(where: { ("a"..."z").contains($0) || ("A"..."Z").contains($0) })
        else { return nil }
        return name.lowercased()
    }

    /// The local domain guessed from the server's host name: the name minus its first label when
    /// it has three labels or more (`mx.example.org` gives `example.org`), else the name itself.
    ///
    /// Why: it is Postfix's own default for `mydomain` ("`$myhostname` minus the first
    /// component"), and an MX is usually named inside the domain it receives for. The guess is
    /// printed with the results; `--local-domain` overrides it.
    public static func guessLocalDomain(fromServerName name: String) -> String {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 3 else { return name }
        return labels.dropFirst().joined(separator: ".")
    }

    private static func isHostNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "-" || scalar == "."
    }
}
