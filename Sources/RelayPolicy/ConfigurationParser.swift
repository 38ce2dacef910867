import NetworkAddress
import DNSBL

/// Reads the text of a relayguard configuration file (relayguard.conf(5)) into a `Configuration`.
///
/// Pure: it is given the text and the file name (for messages) and opens nothing, so the
/// daemon's reload can parse a new file and keep the old settings when this throws.
///
/// Every key is checked strictly, and the first problem found is thrown as a
/// `ConfigurationError` naming `FILE:LINE`:
/// - syntax: `key = value` lines (see `ConfigurationLine`), unknown keys (with a
///   "did you mean" for near misses), duplicate keys (the second line);
/// - values: addresses with ports 1 to 65535, networks without host bits, durations,
///   whole numbers at least 1 for limits (an IPv6 prefix length: 1 to 128), absolute file
///   paths, DNSBL sites, domains;
/// - combinations, reported at the later of the lines involved: `tarpit_max_delay`
///   not below `tarpit_delay`; `tls_cert_file` and `tls_key_file` both or neither;
///   `recipient_check = map` needs `recipient_map`; `backend` is not one of relayguard's own
///   `listen` addresses (a mail loop); no domain both in `local_domains` and `relay_domains`.
public enum ConfigurationParser {
    public static func parse(_ text: String, file: String, defaultHostname: String) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration.defaults(hostname: defaultHostname)
        var lineOfKey: [ConfigurationKey: Int] = [:]
        for line in try ConfigurationLine.split(ConfigurationText.withoutByteOrderMark(text), file: file) {
            guard let key = ConfigurationKey(rawValue: line.key) else {
                var message = "unknown key \"\(line.key)\""
                if let suggestion = nearestKey(to: line.key) { message += " (did you mean \(suggestion)?)" }
                throw ConfigurationError(file: file, line: line.lineNumber, message: message)
            }
            if let first = lineOfKey[key] {
                throw ConfigurationError(
                    file: file, line: line.lineNumber,
                    message: "duplicate key \(key.rawValue) (first set on line \(first))")
            }
            lineOfKey[key] = line.lineNumber
            do throws(ConfigurationValueError) {
                try apply(line.value, to: key, in: &configuration)
            } catch {
                throw ConfigurationError(file: file, line: line.lineNumber, message: "\(key.rawValue): \(error.message)")
            }
        }
        try checkCombinations(configuration, lineOfKey: lineOfKey, file: file)
        return configuration
    }

    // MARK: - One key

    /// Parses `value` for `key` and stores it; one case per key.
    static func apply(_ value: String, to key: ConfigurationKey, in configuration: inout Configuration) throws(ConfigurationValueError) {
        switch key {
        case .listen:
            let addresses = try items(value).map { (item) throws(ConfigurationValueError) in
                try SocketAddressSpec(parsing: item, defaultPort: nil)
            }
            guard !addresses.isEmpty else { throw ConfigurationValueError("needs at least one address, like 0.0.0.0:25") }
            if let twice = firstDuplicate(addresses) { throw ConfigurationValueError("\(twice) is listed twice") }
            configuration.listen = addresses
        case .backend:
            configuration.backend = try SocketAddressSpec(parsing: single(value), defaultPort: nil)
        case .backendClientIdentity:
            configuration.backendClientIdentity = try choice(value)
        case .hostname:
            let text = try single(value)
            guard let name = DomainNameSyntax.canonicalName(text) else {
                throw ConfigurationValueError("bad host name \"\(text)\"")
            }
            configuration.hostname = name
        case .localDomains:
            configuration.localDomains = try domains(value)
        case .relayDomains:
            configuration.relayDomains = try domains(value)
        case .trustedNetworks:
            configuration.trustedNetworks = try items(value).map { (item) throws(ConfigurationValueError) in
                try CIDR(parsing: item)
            }
        case .recipientCheck:
            configuration.recipientCheck = try choice(value)
        case .recipientMap:
            configuration.recipientMap = try optionalPath(value)
        case .tarpitDelay:
            configuration.tarpitDelay = try DurationSyntax.parse(single(value))
        case .tarpitMaxDelay:
            configuration.tarpitMaxDelay = try DurationSyntax.parse(single(value))
        case .invalidRecipientLimit:
            configuration.invalidRecipientLimit = try limit(value)
        case .harvestBlockTime:
            configuration.harvestBlockTime = try DurationSyntax.parse(single(value))
        case .errorLimit:
            configuration.errorLimit = try limit(value)
        case .junkCommandLimit:
            configuration.junkCommandLimit = try limit(value)
        case .dnsblSites:
            configuration.dnsblSites = try items(value).map { (item) throws(ConfigurationValueError) in
                try DNSBLSite(parsing: item)
            }
        case .dnsblThreshold:
            configuration.dnsblThreshold = try limit(value)
        case .dnsblAction:
            configuration.dnsblAction = try choice(value)
        case .dnsblTimeout:
            configuration.dnsblTimeout = try positiveDuration(value)
        case .dnsServers:
            let servers = try items(value).map { (item) throws(ConfigurationValueError) in
                try SocketAddressSpec(parsing: item, defaultPort: 53)
            }
            if let twice = firstDuplicate(servers) { throw ConfigurationValueError("\(twice) is listed twice") }
            configuration.dnsServers = servers
        case .bareNewline:
            configuration.bareNewline = try choice(value)
        case .maxConnections:
            configuration.maxConnections = try limit(value)
        case .maxConnectionsPerClient:
            configuration.maxConnectionsPerClient = try limit(value)
        case .maxRecipients:
            configuration.maxRecipients = try limit(value)
        case .commandTimeout:
            configuration.commandTimeout = try positiveDuration(value)
        case .dataTimeout:
            configuration.dataTimeout = try positiveDuration(value)
        case .tlsCertFile:
            configuration.tlsCertFile = try optionalPath(value)
        case .tlsKeyFile:
            configuration.tlsKeyFile = try optionalPath(value)
        case .log:
            let text = try single(value)
            switch text {
            case "stderr": configuration.log = .stderr
            case "stdout": configuration.log = .stdout
            default:
                guard text.hasPrefix("/") else {
                    throw ConfigurationValueError("expected stderr, stdout or an absolute file path, not \"\(text)\"")
                }
                configuration.log = .file(String(text))
            }
        case .user:
            let text = try optionalSingle(value)
            if let text {
                guard let first = text.first, first != "-", text.count <= 32,
                      text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    throw ConfigurationValueError("bad user name \"\(text)\"")
                }
            }
            configuration.user = text.map(String.init)
        case .clientRefusalLimit:
            configuration.clientRefusalLimit = try limit(value)
        case .clientRefusalWindow:
            configuration.clientRefusalWindow = try positiveDuration(value)
        case .clientIPv6Prefix:
            let prefix = try limit(value)
            guard prefix <= 128 else { throw ConfigurationValueError("an IPv6 prefix length is 1 to 128, not \(prefix)") }
            configuration.clientIPv6Prefix = prefix
        case .metricsListen:
            configuration.metricsListen = try optionalSingle(value).map { (text) throws(ConfigurationValueError) in
                try SocketAddressSpec(parsing: text, defaultPort: nil)
            }
        case .controlSocket:
            let text = try optionalSingle(value)
            if let text, !text.hasPrefix("/") {
                throw ConfigurationValueError("expected an absolute path, or nothing for no control socket, not \"\(text)\"")
            }
            configuration.controlSocket = text.map(String.init)
        case .shutdownGrace:
            configuration.shutdownGrace = try DurationSyntax.parse(single(value))
        case .pregreetAction:
            configuration.pregreetAction = try choice(value)
        }
    }

    // MARK: - Value shapes

    /// The items of a list value: separated by commas and/or white space; empty items dropped.
    static func items(_ value: String) -> [Substring] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
    }

    /// A value that is exactly one item.
    private static func single(_ value: String) throws(ConfigurationValueError) -> Substring {
        guard let text = try optionalSingle(value) else { throw ConfigurationValueError("needs a value") }
        return text
    }

    /// A value that is one item or empty (nil).
    private static func optionalSingle(_ value: String) throws(ConfigurationValueError) -> Substring? {
        let parts = items(value)
        guard parts.count <= 1, !value.contains(",") else {
            throw ConfigurationValueError("expects one value, not a list (\"\(value)\")")
        }
        return parts.first
    }

    /// One of the raw values of an enum, spelled exactly.
    private static func choice<Choice: RawRepresentable & CaseIterable>(_ value: String) throws(ConfigurationValueError) -> Choice
    where Choice.RawValue == String {
        let text = try optionalSingle(value) ?? ""
        guard let choice = Choice(rawValue: String(text)) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationValueError("expected one of \(names), not \"\(text)\"")
        }
        return choice
    }

    /// Why absolute: the daemon may change directory and drops privileges; a relative path
    /// would name a different file in `run` than in `check-config`.
    private static func optionalPath(_ value: String) throws(ConfigurationValueError) -> String? {
        guard let text = try optionalSingle(value) else { return nil }
        guard text.hasPrefix("/") else { throw ConfigurationValueError("expected an absolute file path, not \"\(text)\"") }
        return String(text)
    }

    /// The largest limit accepted: big enough for any deployment, small enough for any counter.
    static let limitMaximum = 1_000_000_000

    /// A whole number from 1 up to `limitMaximum`.
    private static func limit(_ value: String) throws(ConfigurationValueError) -> Int {
        let text = try single(value)
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ConfigurationValueError("expected a whole number, not \"\(text)\"")
        }
        guard text.count <= 10, let number = Int(text), number <= limitMaximum else {
            throw ConfigurationValueError("\(text) is too large (at most \(limitMaximum))")
        }
        guard number >= 1 else { throw ConfigurationValueError("must be at least 1") }
        return number
    }

    private static func positiveDuration(_ value: String) throws(ConfigurationValueError) -> Duration {
        let duration = try DurationSyntax.parse(single(value))
        guard duration > .zero else { throw ConfigurationValueError("must be longer than 0") }
        return duration
    }

    /// Domain entries in canonical form, duplicates dropped.
    private static func domains(_ value: String) throws(ConfigurationValueError) -> [String] {
        var result: [String] = []
        for item in items(value) {
            let domain = try DomainNameSyntax.canonicalDomainEntry(item)
            if !result.contains(domain) { result.append(domain) }
        }
        return result
    }

    private static func firstDuplicate<Item: Hashable>(_ items: [Item]) -> Item? {
        var seen: Set<Item> = []
        for item in items where !seen.insert(item).inserted { return item }
        return nil
    }

    // MARK: - Combinations

    private static func checkCombinations(
        _ configuration: Configuration, lineOfKey: [ConfigurationKey: Int], file: String
    ) throws(ConfigurationError) {
        func failure(_ keys: [ConfigurationKey], _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: keys.compactMap { lineOfKey[$0] }.max() ?? 0, message: message)
        }
        if configuration.tarpitMaxDelay < configuration.tarpitDelay {
            throw failure(
                [.tarpitDelay, .tarpitMaxDelay],
                "tarpit_max_delay (\(DurationSyntax.render(configuration.tarpitMaxDelay))) is less than tarpit_delay (\(DurationSyntax.render(configuration.tarpitDelay)))")
        }
        switch (configuration.tlsCertFile, configuration.tlsKeyFile) {
        case (.some, nil):
            throw failure([.tlsCertFile, .tlsKeyFile], "tls_cert_file is set but tls_key_file is not (set both or neither)")
        case (nil, .some):
            throw failure([.tlsCertFile, .tlsKeyFile], "tls_key_file is set but tls_cert_file is not (set both or neither)")
        case (.some, .some), (nil, nil):
            break
        }
        if configuration.recipientCheck == .map && configuration.recipientMap == nil {
            throw failure([.recipientCheck, .recipientMap], "recipient_check = map needs recipient_map (the file of valid recipients)")
        }
        let backend = configuration.backend
        if let own = configuration.listen.first(where: { listener in
            listener.port == backend.port
                && (listener.address == backend.address
                    || (listener.address.isUnspecified && (listener.address.isIPv4 == backend.address.isIPv4 || !listener.address.isIPv4)))
        }) {
            throw failure([.listen, .backend], "backend \(backend) is relayguard's own listen address \(own) (a mail loop)")
        }
        if let both = configuration.localDomains.first(where: configuration.relayDomains.contains) {
            throw failure([.localDomains, .relayDomains], "\(both) is in both local_domains and relay_domains")
        }
    }

    // MARK: - Suggestions

    /// The known key closest to a misspelt one (at most two edits, or `-` for `_`), if any.
    static func nearestKey(to key: String) -> String? {
        let normalized = String(key.lowercased().map { $0 == "-" ? "_" : $0 })
        let candidates = ConfigurationKey.allCases.map { ($0.rawValue, editDistance(normalized, $0.rawValue)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for (i, byteA) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, byteB) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (byteA == byteB ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
