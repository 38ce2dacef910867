/// The command line of `relayguard audit` (relayguard(8), COMMANDS), parsed:
///
///     audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout DURATION]
///           [--source ADDR]
///
/// HOST is a host name, an IPv4 address, or an IPv6 address in brackets (`[::1]:2525`; a bare
/// IPv6 address without a port is accepted too). PORT defaults to 25. `--timeout` is the wait
/// for each reply and for the connection, default 60s (`250ms`, `30s`, `2m`, or seconds);
/// generous because a tarpit delays every refusal. `--source` is the local IP address the auditor
/// binds its connections to. Options may also be written `--key=value`.
public struct AuditOptions: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var localDomain: String?
    public var externalDomain: String
    public var json: Bool
    public var timeoutMilliseconds: Int
    /// The local address to connect from (`--source`), as given.
    public var source: String?

    public static let defaultPort = 25
    public static let defaultTimeoutMilliseconds = 60_000

    public init(host: String, port: Int = AuditOptions.defaultPort, localDomain: String? = nil,
                externalDomain: String = AuditSite.defaultExternalDomain, json: Bool = false,
                timeoutMilliseconds: Int = AuditOptions.defaultTimeoutMilliseconds, source: String? = nil) {
        self.source = source
        self.host = host
        self.port = port
        self.localDomain = localDomain
        self.externalDomain = externalDomain
        self.json = json
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// `HOST:PORT` for the report, IPv6 in brackets.
    public var target: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Why a command line cannot be run (a usage error, exit 2); `message` follows `relayguard: `.
    public struct UsageError: Error, Sendable, Equatable {
        public var message: String

        public init(message: String) {
            self.message = message
        }
    }

    /// Parses the arguments after `audit`.
    public static func parse(_ arguments: [String]) throws(UsageError) -> AuditOptions {
        var target: String?
        var localDomain: String?
        var externalDomain: String?
        var json = false
        var timeout: Int?
        var source: String?
        var index = 0
        func value(for option: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw UsageError(message: "audit: \(option) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            var option = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                option = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch option {
            case "--local-domain":
                guard localDomain == nil else { throw UsageError(message: "audit: --local-domain given twice") }
                localDomain = try domain(try value(for: option, inline: inline), option: option)
            case "--external-domain":
                guard externalDomain == nil else { throw UsageError(message: "audit: --external-domain given twice") }
                externalDomain = try domain(try value(for: option, inline: inline), option: option)
            case "--json":
                guard inline == nil else { throw UsageError(message: "audit: --json takes no value") }
                json = true
            case "--timeout":
                guard timeout == nil else { throw UsageError(message: "audit: --timeout given twice") }
                let text = try value(for: option, inline: inline)
                guard let milliseconds = milliseconds(text), milliseconds > 0 else {
                    throw UsageError(message: "audit: bad --timeout '\(text)' (a duration such as 500ms, 60s, 2m)")
                }
                timeout = milliseconds
            case "--source":
                guard source == nil else { throw UsageError(message: "audit: --source given twice") }
                let text = try value(for: option, inline: inline)
                guard !text.isEmpty, text.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
                    throw UsageError(message: "audit: bad --source '\(text)' (an IP address of this host)")
                }
                source = text
            default:
                guard !argument.hasPrefix("-") || argument == "-" else {
                    throw UsageError(message: "audit: unknown option '\(argument)'")
                }
                guard target == nil else { throw UsageError(message: "audit: more than one HOST given ('\(argument)')") }
                target = argument
            }
            index += 1
        }
        guard let target else { throw UsageError(message: "audit: which server? give HOST[:PORT]") }
        let (host, port) = try hostAndPort(target)
        return AuditOptions(host: host, port: port, localDomain: localDomain,
                            externalDomain: externalDomain ?? AuditSite.defaultExternalDomain,
                            json: json, timeoutMilliseconds: timeout ?? defaultTimeoutMilliseconds, source: source)
    }

    /// Splits `HOST[:PORT]`: `mx.example.org`, `192.0.2.25:2525`, `[2001:db8::25]:25`, `::1`.
    static func hostAndPort(_ text: String) throws(UsageError) -> (String, Int) {
        let bad = UsageError(message: "audit: bad HOST[:PORT] '\(text)'")
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw bad }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard !host.isEmpty, host.contains(":") else { throw bad }
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = portNumber(rest.dropFirst()) else { throw bad }
            return (host, port)
        }
        let colons = text.count { $0 == ":" }
        if colons > 1 { return (text, defaultPort) }      // a bare IPv6 address
        if colons == 1 {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard !parts[0].isEmpty, let port = portNumber(parts[1]) else { throw bad }
            return (String(parts[0]), port)
        }
        guard !text.isEmpty else { throw bad }
        return (text, defaultPort)
    }

    private static func portNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(text), (1...65535).contains(port) else { return nil }
        return port
    }

    /// A domain for `--local-domain` or `--external-domain`: letters, digits, `-`, `.`, or an
    /// address literal in brackets; written into the envelopes as given, without a trailing dot.
    private static func domain(_ text: String, option: String) throws(UsageError) -> String {
        var name = text
        if name.hasSuffix(".") && !name.hasPrefix("[") { name.removeLast() }
        let isLiteral = name.hasPrefix("[") && name.hasSuffix("]") && name.count > 2
            && !name.dropFirst().dropLast().contains(where: { $0 == "[" || $0 == "]" || $0 == " " })
        let isName = !name.isEmpty && !name.hasPrefix(".") && !name.contains("..")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
        guard isLiteral || isName else { throw UsageError(message: "audit: bad domain for \(option): '\(text)'") }
        return name
    }

    /// `500ms`, `60s`, `2m`, `60` (seconds) in milliseconds; nil when not a duration.
    static func milliseconds(_ text: String) -> Int? {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var digits = Substring(text)
        var factor = 1000
        for (suffix, unitFactor) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            factor = unitFactor
            break
        }
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let number = Int(digits) else { return nil }
        return number * factor
    }
}
