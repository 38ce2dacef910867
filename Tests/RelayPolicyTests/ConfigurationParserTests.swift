import Testing
@testable import RelayPolicy
import NetworkAddress
import DNSBL

@Suite("ConfigurationParser")
struct ConfigurationParserTests {
    static let file = "test.conf"

    static func parse(_ text: String) throws(ConfigurationError) -> Configuration {
        try ConfigurationParser.parse(text, file: file, defaultHostname: "host.example")
    }

    /// The keys of relayguard.conf(5), in table order, written out here so that a reordering or a
    /// missing key in `ConfigurationKey` fails a test.
    static let specKeys = [
        "listen", "backend", "backend_client_identity", "hostname", "local_domains", "relay_domains",
        "trusted_networks", "recipient_check", "recipient_map", "tarpit_delay", "tarpit_max_delay",
        "invalid_recipient_limit", "harvest_block_time", "error_limit", "junk_command_limit", "dnsbl_sites", "dnsbl_threshold",
        "dnsbl_action", "dnsbl_timeout", "dns_servers", "bare_newline", "max_connections",
        "max_connections_per_client", "max_recipients", "command_timeout", "data_timeout",
        "tls_cert_file", "tls_key_file", "log", "user",
        "client_refusal_limit", "client_refusal_window", "client_ipv6_prefix",
        "metrics_listen", "control_socket", "shutdown_grace", "pregreet_action",
    ]

    // MARK: - Defaults and printing

    @Test("an empty file gives the documented defaults")
    func emptyFileGivesDefaults() throws {
        let configuration = try Self.parse("")
        #expect(configuration == Configuration.defaults(hostname: "host.example"))
        let printed = configuration.effectiveSettings.map { "\($0.key) = \($0.value)" }
        #expect(printed == [
            "listen = 127.0.0.1:2525", "backend = 127.0.0.1:10025", "backend_client_identity = proxy-v2",
            "hostname = host.example", "local_domains = ", "relay_domains = ",
            "trusted_networks = 127.0.0.1/32, ::1/128", "recipient_check = backend", "recipient_map = ",
            "tarpit_delay = 5s", "tarpit_max_delay = 30s", "invalid_recipient_limit = 10",
            "harvest_block_time = 10m", "error_limit = 20", "junk_command_limit = 100", "dnsbl_sites = ", "dnsbl_threshold = 1",
            "dnsbl_action = reject", "dnsbl_timeout = 2s", "dns_servers = ", "bare_newline = reject",
            "max_connections = 10000", "max_connections_per_client = 50", "max_recipients = 1000",
            "command_timeout = 5m", "data_timeout = 10m", "tls_cert_file = ", "tls_key_file = ",
            "log = stderr", "user = ",
            "client_refusal_limit = 30", "client_refusal_window = 1h", "client_ipv6_prefix = 64",
            "metrics_listen = ", "control_socket = /run/relayguard/control", "shutdown_grace = 30s", "pregreet_action = reject",
        ])
    }

    @Test("effective settings list every the man pages key in table order")
    func effectiveSettingsKeys() {
        #expect(Configuration.defaults(hostname: "h.example").effectiveSettings.map(\.key) == Self.specKeys)
        #expect(ConfigurationKey.allCases.map(\.rawValue) == Self.specKeys)
    }

    @Test("printed settings parse back to the same configuration")
    func printedSettingsRoundTrip() throws {
        let original = try Self.parse("""
            listen = 0.0.0.0:25, [::]:25
            backend = [::1]:10025
            backend_client_identity = xclient
            hostname = MX.Example.ORG
            local_domains = example.org .example.org [192.0.2.25] [IPv6:2001:DB8::25]
            relay_domains = backup.example.com
            trusted_networks = 192.0.2.0/24, 2001:db8::/32, ::ffff:10.0.0.0/104
            recipient_check = map
            recipient_map = /etc/relayguard/recipients
            tarpit_delay = 1500ms
            tarpit_max_delay = 1h
            invalid_recipient_limit = 3
            harvest_block_time = 2d
            error_limit = 5
            junk_command_limit = 40
            dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*3, bl.example*2, list.dnswl.org=127.0.[0..255].[1..3]*-2, b.example=127.0.0.2;127.0.0.4
            dnsbl_threshold = 2
            dnsbl_action = reject-at-connect
            dnsbl_timeout = 750ms
            dns_servers = 127.0.0.1:5353 [::1] 192.0.2.53
            bare_newline = normalize
            max_connections = 9000
            max_connections_per_client = 20
            max_recipients = 100
            command_timeout = 90
            data_timeout = 20m
            tls_cert_file = /etc/relayguard/cert.pem
            tls_key_file = /etc/relayguard/key.pem
            log = /var/log/relayguard.jsonl
            user = relayguard
            client_refusal_limit = 12
            client_refusal_window = 90m
            client_ipv6_prefix = 48
            """)
        let printed = original.effectiveSettings.map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
        #expect(try Self.parse(printed) == original)
        #expect(original.renderedValue(of: .commandTimeout) == "90s")
        #expect(original.renderedValue(of: .tarpitDelay) == "1500ms")
        #expect(original.renderedValue(of: .harvestBlockTime) == "2d")
    }

    // MARK: - Valid values, every key

    struct ValueCase: Sendable, CustomTestStringConvertible {
        var name: String
        var line: String
        var key: ConfigurationKey
        /// The value as `check-config` prints it.
        var printed: String
        var testDescription: String { name }
    }

    static let validValues: [ValueCase] = [
        .init(name: "listen: one IPv4", line: "listen = 0.0.0.0:25", key: .listen, printed: "0.0.0.0:25"),
        .init(name: "listen: IPv4 and IPv6, comma", line: "listen = 0.0.0.0:25, [::]:25", key: .listen, printed: "0.0.0.0:25, [::]:25"),
        .init(name: "listen: white space separated", line: "listen = 127.0.0.1:25 \t[::1]:25", key: .listen, printed: "127.0.0.1:25, [::1]:25"),
        .init(name: "backend: IPv4", line: "backend = 127.0.0.1:10026", key: .backend, printed: "127.0.0.1:10026"),
        .init(name: "backend: IPv6", line: "backend = [::1]:10025", key: .backend, printed: "[::1]:10025"),
        .init(name: "backend_client_identity: proxy-v1", line: "backend_client_identity = proxy-v1", key: .backendClientIdentity, printed: "proxy-v1"),
        .init(name: "backend_client_identity: proxy-v2", line: "backend_client_identity = proxy-v2", key: .backendClientIdentity, printed: "proxy-v2"),
        .init(name: "backend_client_identity: xclient", line: "backend_client_identity = xclient", key: .backendClientIdentity, printed: "xclient"),
        .init(name: "backend_client_identity: none", line: "backend_client_identity = none", key: .backendClientIdentity, printed: "none"),
        .init(name: "hostname: lowered, trailing dot dropped", line: "hostname = MX1.Example.org.", key: .hostname, printed: "mx1.example.org"),
        .init(name: "hostname: single label", line: "hostname = mailhost", key: .hostname, printed: "mailhost"),
        .init(name: "local_domains: plain, subdomain, literals", line: "local_domains = Example.ORG, .example.org [192.0.2.1] [IPv6:2001:DB8::1]",
              key: .localDomains, printed: "example.org, .example.org, [192.0.2.1], [ipv6:2001:db8::1]"),
        .init(name: "local_domains: duplicates dropped", line: "local_domains = example.org example.org.", key: .localDomains, printed: "example.org"),
        .init(name: "local_domains: empty", line: "local_domains =", key: .localDomains, printed: ""),
        .init(name: "relay_domains: two", line: "relay_domains = backup.example.com,internal.example", key: .relayDomains, printed: "backup.example.com, internal.example"),
        .init(name: "trusted_networks: mixed families", line: "trusted_networks = 10.0.0.0/8, 2001:db8::/32 192.0.2.7", key: .trustedNetworks,
              printed: "10.0.0.0/8, 2001:db8::/32, 192.0.2.7/32"),
        .init(name: "trusted_networks: empty trusts nobody", line: "trusted_networks =", key: .trustedNetworks, printed: ""),
        .init(name: "trusted_networks: mapped normalised", line: "trusted_networks = ::ffff:10.0.0.0/104", key: .trustedNetworks, printed: "10.0.0.0/8"),
        .init(name: "recipient_check: backend", line: "recipient_check = backend", key: .recipientCheck, printed: "backend"),
        .init(name: "recipient_check: off", line: "recipient_check = off", key: .recipientCheck, printed: "off"),
        .init(name: "recipient_map: path", line: "recipient_map = /etc/relayguard/recipients", key: .recipientMap, printed: "/etc/relayguard/recipients"),
        .init(name: "recipient_map: empty", line: "recipient_map =", key: .recipientMap, printed: ""),
        .init(name: "tarpit_delay: milliseconds", line: "tarpit_delay = 250ms", key: .tarpitDelay, printed: "250ms"),
        .init(name: "tarpit_delay: bare number is seconds", line: "tarpit_delay = 3", key: .tarpitDelay, printed: "3s"),
        .init(name: "tarpit_delay: zero disables", line: "tarpit_delay = 0", key: .tarpitDelay, printed: "0s"),
        .init(name: "tarpit_delay: 1000ms prints as 1s", line: "tarpit_delay = 1000ms", key: .tarpitDelay, printed: "1s"),
        .init(name: "tarpit_max_delay: minutes", line: "tarpit_max_delay = 2m", key: .tarpitMaxDelay, printed: "2m"),
        .init(name: "invalid_recipient_limit: 1", line: "invalid_recipient_limit = 1", key: .invalidRecipientLimit, printed: "1"),
        .init(name: "harvest_block_time: hours", line: "harvest_block_time = 1h", key: .harvestBlockTime, printed: "1h"),
        .init(name: "harvest_block_time: days", line: "harvest_block_time = 7d", key: .harvestBlockTime, printed: "7d"),
        .init(name: "harvest_block_time: 120m prints as 2h", line: "harvest_block_time = 120m", key: .harvestBlockTime, printed: "2h"),
        .init(name: "harvest_block_time: zero disables", line: "harvest_block_time = 0s", key: .harvestBlockTime, printed: "0s"),
        .init(name: "harvest_block_time: 365d maximum", line: "harvest_block_time = 365d", key: .harvestBlockTime, printed: "365d"),
        .init(name: "error_limit: 50", line: "error_limit = 50", key: .errorLimit, printed: "50"),
        .init(name: "junk_command_limit: 1", line: "junk_command_limit = 1", key: .junkCommandLimit, printed: "1"),
        .init(name: "junk_command_limit: 500", line: "junk_command_limit = 500", key: .junkCommandLimit, printed: "500"),
        .init(name: "client_refusal_limit: 5", line: "client_refusal_limit = 5", key: .clientRefusalLimit, printed: "5"),
        .init(name: "client_refusal_window: 3600s prints as 1h", line: "client_refusal_window = 3600s", key: .clientRefusalWindow, printed: "1h"),
        .init(name: "client_refusal_window: 1d", line: "client_refusal_window = 1d", key: .clientRefusalWindow, printed: "1d"),
        .init(name: "client_ipv6_prefix: 48", line: "client_ipv6_prefix = 48", key: .clientIPv6Prefix, printed: "48"),
        .init(name: "client_ipv6_prefix: 128 (one address)", line: "client_ipv6_prefix = 128", key: .clientIPv6Prefix, printed: "128"),
        .init(name: "dnsbl_sites: the man pages example", line: "dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*3, bl.example*2, list.dnswl.org=127.0.[0..255].[1..3]*-2",
              key: .dnsblSites, printed: "zen.spamhaus.org=127.0.0.[2..11]*3, bl.example*2, list.dnswl.org=127.0.[0..255].[1..3]*-2"),
        .init(name: "dnsbl_sites: same zone twice with different filters", line: "dnsbl_sites = zen.example=127.0.0.2*3 zen.example=127.0.0.10*-1",
              key: .dnsblSites, printed: "zen.example=127.0.0.2*3, zen.example=127.0.0.10*-1"),
        .init(name: "dnsbl_threshold: 3", line: "dnsbl_threshold = 3", key: .dnsblThreshold, printed: "3"),
        .init(name: "dnsbl_action: reject", line: "dnsbl_action = reject", key: .dnsblAction, printed: "reject"),
        .init(name: "dnsbl_action: reject-at-connect", line: "dnsbl_action = reject-at-connect", key: .dnsblAction, printed: "reject-at-connect"),
        .init(name: "dnsbl_action: log", line: "dnsbl_action = log", key: .dnsblAction, printed: "log"),
        .init(name: "dnsbl_timeout: 500ms", line: "dnsbl_timeout = 500ms", key: .dnsblTimeout, printed: "500ms"),
        .init(name: "dns_servers: default port 53", line: "dns_servers = 192.0.2.53, [2001:db8::53]", key: .dnsServers, printed: "192.0.2.53:53, [2001:db8::53]:53"),
        .init(name: "dns_servers: own port", line: "dns_servers = 127.0.0.1:5353", key: .dnsServers, printed: "127.0.0.1:5353"),
        .init(name: "dns_servers: empty means resolv.conf", line: "dns_servers =", key: .dnsServers, printed: ""),
        .init(name: "bare_newline: reject", line: "bare_newline = reject", key: .bareNewline, printed: "reject"),
        .init(name: "bare_newline: normalize", line: "bare_newline = normalize", key: .bareNewline, printed: "normalize"),
        .init(name: "max_connections: 9000", line: "max_connections = 9000", key: .maxConnections, printed: "9000"),
        .init(name: "max_connections_per_client: 1", line: "max_connections_per_client = 1", key: .maxConnectionsPerClient, printed: "1"),
        .init(name: "max_recipients: 100", line: "max_recipients = 100", key: .maxRecipients, printed: "100"),
        .init(name: "max_recipients: largest", line: "max_recipients = 1000000000", key: .maxRecipients, printed: "1000000000"),
        .init(name: "command_timeout: 300s prints as 5m", line: "command_timeout = 300s", key: .commandTimeout, printed: "5m"),
        .init(name: "data_timeout: 90s", line: "data_timeout = 90s", key: .dataTimeout, printed: "90s"),
        .init(name: "log: stderr", line: "log = stderr", key: .log, printed: "stderr"),
        .init(name: "log: stdout", line: "log = stdout", key: .log, printed: "stdout"),
        .init(name: "log: file", line: "log = /var/log/relayguard/decisions.jsonl", key: .log, printed: "/var/log/relayguard/decisions.jsonl"),
        .init(name: "user: name", line: "user = relayguard", key: .user, printed: "relayguard"),
        .init(name: "user: empty", line: "user =", key: .user, printed: ""),
        .init(name: "value with no space around =", line: "error_limit=7", key: .errorLimit, printed: "7"),
        .init(name: "value with tabs around =", line: "error_limit\t=\t8\t", key: .errorLimit, printed: "8"),
    ]

    @Test("valid values", arguments: validValues)
    func validValue(_ testCase: ValueCase) throws {
        let configuration = try Self.parse(testCase.line)
        #expect(configuration.renderedValue(of: testCase.key) == testCase.printed)
    }

    @Test("TLS files set together")
    func tlsBoth() throws {
        let configuration = try Self.parse("tls_cert_file = /etc/tls/cert.pem\ntls_key_file = /etc/tls/key.pem")
        #expect(configuration.tlsCertFile == "/etc/tls/cert.pem")
        #expect(configuration.tlsKeyFile == "/etc/tls/key.pem")
    }

    @Test("recipient_check = map with recipient_map")
    func recipientMap() throws {
        let configuration = try Self.parse("recipient_check = map\nrecipient_map = /etc/relayguard/recipients")
        #expect(configuration.recipientCheck == .map)
        #expect(configuration.recipientMap == "/etc/relayguard/recipients")
    }

    @Test("typed values")
    func typedValues() throws {
        let configuration = try Self.parse("""
            listen = [::]:25
            tarpit_delay = 250ms
            trusted_networks = 192.0.2.0/24
            dnsbl_sites = bl.example=127.0.0.[2..3]*-2
            log = /var/log/rg.log
            """)
        #expect(configuration.listen == [SocketAddressSpec(address: try #require(IPAddress("::")), port: 25)])
        #expect(configuration.tarpitDelay == .milliseconds(250))
        #expect(configuration.trustedNetworks.count == 1)
        #expect(configuration.trustedNetworks[0].contains(try #require(IPAddress("192.0.2.200"))))
        #expect(configuration.dnsblSites.map(\.weight) == [-2])
        #expect(configuration.dnsblSites[0].matches(try #require(IPAddress("127.0.0.3"))))
        #expect(configuration.log == .file("/var/log/rg.log"))
    }

    // MARK: - File syntax

    static func commentedFile(hostnameValue: String) -> String {
        "# a comment\r\n\r\n   # an indented comment\r\nlisten = 127.0.0.1:25,\r\n  [::1]:25\r\n"
            + "# comment inside a continued value\r\n\t127.0.0.2:25\r\n\r\n  \r\nhostname = \(hostnameValue)\r\n"
    }

    @Test("comments, blank lines, continuation lines and CRLF")
    func fileSyntax() throws {
        let configuration = try Self.parse(Self.commentedFile(hostnameValue: "mx.example"))
        #expect(configuration.renderedValue(of: .listen) == "127.0.0.1:25, [::1]:25, 127.0.0.2:25")
        #expect(configuration.hostname == "mx.example")
    }

    @Test("a # after a value is part of the value, as in Postfix")
    func hashInsideValue() {
        #expect(throws: ConfigurationError(file: Self.file, line: 10, message: "hostname: expects one value, not a list (\"mx.example # not a comment\")")) {
            try Self.parse(Self.commentedFile(hostnameValue: "mx.example # not a comment"))
        }
    }

    // MARK: - Errors with file and line

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let errors: [ErrorCase] = [
        // File syntax.
        .init(name: "unknown key", text: "# c\nfrobnicate = yes", line: 2, message: "unknown key \"frobnicate\""),
        .init(name: "unknown key with suggestion", text: "lisen = 0.0.0.0:25", line: 1, message: "unknown key \"lisen\" (did you mean listen?)"),
        .init(name: "unknown key with hyphens", text: "tarpit-delay = 5s", line: 1, message: "unknown key \"tarpit-delay\" (did you mean tarpit_delay?)"),
        .init(name: "key in upper case is unknown", text: "LISTEN = 0.0.0.0:25", line: 1, message: "unknown key \"LISTEN\" (did you mean listen?)"),
        .init(name: "duplicate key names the second line", text: "error_limit = 5\n\n# again\nerror_limit = 6", line: 4,
              message: "duplicate key error_limit (first set on line 1)"),
        .init(name: "duplicate key even with the same value", text: "user = a\nuser = a", line: 2, message: "duplicate key user (first set on line 1)"),
        .init(name: "missing =", text: "listen 0.0.0.0:25", line: 1, message: "missing '=' in \"listen 0.0.0.0:25\" (expected key = value)"),
        .init(name: "missing key", text: "= 5", line: 1, message: "missing key before '='"),
        .init(name: "bad key name", text: "max connections = 5", line: 1, message: "bad key name \"max connections\""),
        .init(name: "continuation at start of file", text: "  listen = 0.0.0.0:25", line: 1,
              message: "continuation line (it starts with white space) without a key = value line before it"),
        .init(name: "continuation after only comments", text: "# c\n\n\tlisten = 0.0.0.0:25", line: 3,
              message: "continuation line (it starts with white space) without a key = value line before it"),
        .init(name: "bad value on a continuation line names the key's line", text: "user = x\nlisten = 0.0.0.0:25,\n  [::]:25,\n  10.0.0.1", line: 2,
              message: "listen: bad address \"10.0.0.1\": missing :port"),
        // listen.
        .init(name: "listen: empty", text: "listen =", line: 1, message: "listen: needs at least one address, like 0.0.0.0:25"),
        .init(name: "listen: missing port", text: "listen = 0.0.0.0", line: 1, message: "listen: bad address \"0.0.0.0\": missing :port"),
        .init(name: "listen: port 0", text: "listen = 0.0.0.0:0", line: 1, message: "listen: bad address \"0.0.0.0:0\": the port must be a number from 1 to 65535"),
        .init(name: "listen: port 65536", text: "listen = 0.0.0.0:65536", line: 1, message: "listen: bad address \"0.0.0.0:65536\": the port must be a number from 1 to 65535"),
        .init(name: "listen: IPv6 without brackets", text: "listen = :::25", line: 1, message: "listen: bad address \":::25\": write an IPv6 address in brackets, as [::1]:25"),
        .init(name: "listen: host name", text: "listen = localhost:25", line: 1,
              message: "listen: bad address \"localhost:25\": \"localhost\" is not an IP address (host names are not accepted)"),
        .init(name: "listen: twice", text: "listen = 0.0.0.0:25, 0.0.0.0:25", line: 1, message: "listen: 0.0.0.0:25 is listed twice"),
        // backend.
        .init(name: "backend: empty", text: "backend =", line: 1, message: "backend: needs a value"),
        .init(name: "backend: two values", text: "backend = 127.0.0.1:25 127.0.0.1:26", line: 1,
              message: "backend: expects one value, not a list (\"127.0.0.1:25 127.0.0.1:26\")"),
        .init(name: "backend: port 0", text: "backend = 127.0.0.1:0", line: 1, message: "backend: bad address \"127.0.0.1:0\": the port must be a number from 1 to 65535"),
        // Enumerations.
        .init(name: "backend_client_identity: unknown", text: "backend_client_identity = proxy", line: 1,
              message: "backend_client_identity: expected one of proxy-v1, proxy-v2, xclient, none, not \"proxy\""),
        .init(name: "backend_client_identity: empty", text: "backend_client_identity =", line: 1,
              message: "backend_client_identity: expected one of proxy-v1, proxy-v2, xclient, none, not \"\""),
        .init(name: "recipient_check: unknown", text: "recipient_check = ldap", line: 1, message: "recipient_check: expected one of map, backend, off, not \"ldap\""),
        .init(name: "dnsbl_action: case matters", text: "dnsbl_action = Reject", line: 1,
              message: "dnsbl_action: expected one of reject, reject-at-connect, log, not \"Reject\""),
        .init(name: "bare_newline: unknown", text: "bare_newline = accept", line: 1, message: "bare_newline: expected one of reject, normalize, not \"accept\""),
        // hostname and domains.
        .init(name: "hostname: underscore", text: "hostname = mx_1.example", line: 1, message: "hostname: bad host name \"mx_1.example\""),
        .init(name: "hostname: empty", text: "hostname =", line: 1, message: "hostname: needs a value"),
        .init(name: "hostname: label too long", text: "hostname = \(String(repeating: "a", count: 64)).example", line: 1,
              message: "hostname: bad host name \"\(String(repeating: "a", count: 64)).example\""),
        .init(name: "local_domains: wildcard", text: "local_domains = *.example.org", line: 1,
              message: "local_domains: bad domain \"*.example.org\": write .example.org to match subdomains"),
        .init(name: "local_domains: bare IP", text: "local_domains = 192.0.2.1", line: 1,
              message: "local_domains: bad domain \"192.0.2.1\": write an IP address as a literal, [192.0.2.1]"),
        .init(name: "local_domains: bad literal", text: "local_domains = [192.0.2.256]", line: 1,
              message: "local_domains: bad domain \"[192.0.2.256]\": an address literal is [192.0.2.1] or [IPv6:2001:db8::1]"),
        .init(name: "local_domains: IPv6 literal without tag", text: "local_domains = [2001:db8::1]", line: 1,
              message: "local_domains: bad domain \"[2001:db8::1]\": an address literal is [192.0.2.1] or [IPv6:2001:db8::1]"),
        .init(name: "local_domains: empty label", text: "local_domains = example..org", line: 1, message: "local_domains: bad domain \"example..org\": not a domain name"),
        .init(name: "local_domains: double leading dot", text: "local_domains = ..example.org", line: 1, message: "local_domains: bad domain \"..example.org\": not a domain name"),
        .init(name: "relay_domains: hyphen at label end", text: "relay_domains = example-.org", line: 1, message: "relay_domains: bad domain \"example-.org\": not a domain name"),
        .init(name: "domain in both lists", text: "local_domains = example.org\nrelay_domains = Example.org", line: 2,
              message: "example.org is in both local_domains and relay_domains"),
        // trusted_networks.
        .init(name: "trusted_networks: host bits", text: "trusted_networks = 10.0.0.1/8", line: 1,
              message: "trusted_networks: bad network \"10.0.0.1/8\": host bits are set (the network is 10.0.0.0/8; a single host is 10.0.0.1/32)"),
        .init(name: "trusted_networks: prefix too long", text: "trusted_networks = 10.0.0.0/33", line: 1,
              message: "trusted_networks: bad network \"10.0.0.0/33\": an IPv4 prefix length is 0 to 32"),
        .init(name: "trusted_networks: name", text: "trusted_networks = localhost", line: 1,
              message: "trusted_networks: bad network \"localhost\": not an IPv4 or IPv6 address"),
        // Paths.
        .init(name: "recipient_map: relative path", text: "recipient_map = recipients", line: 1,
              message: "recipient_map: expected an absolute file path, not \"recipients\""),
        .init(name: "recipient_map: two paths", text: "recipient_map = /a /b", line: 1, message: "recipient_map: expects one value, not a list (\"/a /b\")"),
        .init(name: "recipient_check map without map", text: "recipient_check = map", line: 1,
              message: "recipient_check = map needs recipient_map (the file of valid recipients)"),
        .init(name: "tls_cert_file: relative path", text: "tls_cert_file = cert.pem", line: 1, message: "tls_cert_file: expected an absolute file path, not \"cert.pem\""),
        .init(name: "tls_cert_file without key", text: "tls_cert_file = /etc/cert.pem", line: 1,
              message: "tls_cert_file is set but tls_key_file is not (set both or neither)"),
        .init(name: "tls_key_file without cert", text: "# tls\ntls_key_file = /etc/key.pem", line: 2,
              message: "tls_key_file is set but tls_cert_file is not (set both or neither)"),
        .init(name: "log: relative path", text: "log = syslog", line: 1, message: "log: expected stderr, stdout or an absolute file path, not \"syslog\""),
        .init(name: "log: empty", text: "log =", line: 1, message: "log: needs a value"),
        .init(name: "user: starts with hyphen", text: "user = -root", line: 1, message: "user: bad user name \"-root\""),
        .init(name: "user: bad character", text: "user = mail:mail", line: 1, message: "user: bad user name \"mail:mail\""),
        // Durations.
        .init(name: "duration: unknown unit", text: "tarpit_delay = 5x", line: 1, message: "tarpit_delay: bad duration \"5x\": unknown unit \"x\" (use ms, s, m, h or d)"),
        .init(name: "duration: upper-case unit", text: "tarpit_delay = 5S", line: 1, message: "tarpit_delay: bad duration \"5S\": unknown unit \"S\" (use ms, s, m, h or d)"),
        .init(name: "duration: weeks not accepted", text: "harvest_block_time = 1w", line: 1,
              message: "harvest_block_time: bad duration \"1w\": unknown unit \"w\" (use ms, s, m, h or d)"),
        .init(name: "duration: fraction", text: "tarpit_delay = 1.5s", line: 1, message: "tarpit_delay: bad duration \"1.5s\": unknown unit \".5s\" (use ms, s, m, h or d)"),
        .init(name: "duration: negative", text: "tarpit_delay = -1s", line: 1,
              message: "tarpit_delay: bad duration \"-1s\": expected a whole number and a unit, like 250ms, 5s, 10m, 1h or 1d"),
        .init(name: "duration: unit only", text: "tarpit_delay = s", line: 1,
              message: "tarpit_delay: bad duration \"s\": expected a whole number and a unit, like 250ms, 5s, 10m, 1h or 1d"),
        .init(name: "duration: space before unit", text: "tarpit_delay = 5 s", line: 1, message: "tarpit_delay: expects one value, not a list (\"5 s\")"),
        .init(name: "duration: over 365d", text: "harvest_block_time = 366d", line: 1, message: "harvest_block_time: bad duration \"366d\": longer than 365d"),
        .init(name: "duration: huge number", text: "harvest_block_time = 99999999999999999999", line: 1,
              message: "harvest_block_time: bad duration \"99999999999999999999\": longer than 365d"),
        .init(name: "dnsbl_timeout: zero", text: "dnsbl_timeout = 0", line: 1, message: "dnsbl_timeout: must be longer than 0"),
        .init(name: "command_timeout: zero", text: "command_timeout = 0ms", line: 1, message: "command_timeout: must be longer than 0"),
        .init(name: "data_timeout: empty", text: "data_timeout =", line: 1, message: "data_timeout: needs a value"),
        .init(name: "tarpit_max_delay below tarpit_delay", text: "tarpit_max_delay = 10s\ntarpit_delay = 20s", line: 2,
              message: "tarpit_max_delay (10s) is less than tarpit_delay (20s)"),
        .init(name: "tarpit_delay above default max", text: "tarpit_delay = 1m", line: 1,
              message: "tarpit_max_delay (30s) is less than tarpit_delay (1m)"),
        // Limits.
        .init(name: "invalid_recipient_limit: zero", text: "invalid_recipient_limit = 0", line: 1, message: "invalid_recipient_limit: must be at least 1"),
        .init(name: "error_limit: negative", text: "error_limit = -1", line: 1, message: "error_limit: expected a whole number, not \"-1\""),
        .init(name: "junk_command_limit: zero", text: "junk_command_limit = 0", line: 1, message: "junk_command_limit: must be at least 1"),
        .init(name: "client_refusal_limit: zero", text: "client_refusal_limit = 0", line: 1, message: "client_refusal_limit: must be at least 1"),
        .init(name: "client_refusal_window: zero", text: "client_refusal_window = 0", line: 1, message: "client_refusal_window: must be longer than 0"),
        .init(name: "client_ipv6_prefix: zero", text: "client_ipv6_prefix = 0", line: 1, message: "client_ipv6_prefix: must be at least 1"),
        .init(name: "client_ipv6_prefix: 129", text: "client_ipv6_prefix = 129", line: 1,
              message: "client_ipv6_prefix: an IPv6 prefix length is 1 to 128, not 129"),
        .init(name: "max_connections: not a number", text: "max_connections = many", line: 1, message: "max_connections: expected a whole number, not \"many\""),
        .init(name: "max_connections_per_client: too large", text: "max_connections_per_client = 1000000001", line: 1,
              message: "max_connections_per_client: 1000000001 is too large (at most 1000000000)"),
        .init(name: "max_recipients: empty", text: "max_recipients =", line: 1, message: "max_recipients: needs a value"),
        .init(name: "dnsbl_threshold: zero", text: "dnsbl_threshold = 0", line: 1, message: "dnsbl_threshold: must be at least 1"),
        .init(name: "dnsbl_threshold: list", text: "dnsbl_threshold = 1,2", line: 1, message: "dnsbl_threshold: expects one value, not a list (\"1,2\")"),
        // DNSBL and DNS servers.
        .init(name: "dnsbl_sites: bad filter", text: "dnsbl_sites = bl.example, zen.example=127.0.0.[2..", line: 1,
              message: "dnsbl_sites: bad reply filter \"127.0.0.[2..\": missing ]"),
        .init(name: "dnsbl_sites: bad weight", text: "dnsbl_sites = bl.example*two", line: 1,
              message: "dnsbl_sites: bad DNSBL site \"bl.example*two\": the weight after * must be a whole number, like *2 or *-2"),
        .init(name: "dnsbl_sites: filter outside 127/8", text: "dnsbl_sites = bl.example=192.0.2.1", line: 1,
              message: "dnsbl_sites: bad reply filter \"192.0.2.1\": can never match, only answers inside 127.0.0.0/8 count"),
        .init(name: "dns_servers: port 0", text: "dns_servers = 127.0.0.1:0", line: 1,
              message: "dns_servers: bad address \"127.0.0.1:0\": the port must be a number from 1 to 65535"),
        .init(name: "dns_servers: name", text: "dns_servers = ns1.example", line: 1,
              message: "dns_servers: bad address \"ns1.example\": \"ns1.example\" is not an IP address (host names are not accepted)"),
        .init(name: "dns_servers: twice", text: "dns_servers = 127.0.0.1 127.0.0.1:53", line: 1, message: "dns_servers: 127.0.0.1:53 is listed twice"),
        // Mail loop.
        .init(name: "backend equals a listen address", text: "listen = 127.0.0.1:2525\nbackend = 127.0.0.1:2525", line: 2,
              message: "backend 127.0.0.1:2525 is relayguard's own listen address 127.0.0.1:2525 (a mail loop)"),
        .init(name: "backend inside a wildcard listen address", text: "backend = 127.0.0.1:25\nlisten = 0.0.0.0:25", line: 2,
              message: "backend 127.0.0.1:25 is relayguard's own listen address 0.0.0.0:25 (a mail loop)"),
        .init(name: "backend IPv6 inside IPv6 wildcard", text: "listen = [::]:25\nbackend = [::1]:25", line: 2,
              message: "backend [::1]:25 is relayguard's own listen address [::]:25 (a mail loop)"),
        .init(name: "backend IPv4 inside dual-stack wildcard", text: "listen = [::]:25\nbackend = 127.0.0.1:25", line: 2,
              message: "backend 127.0.0.1:25 is relayguard's own listen address [::]:25 (a mail loop)"),
    ]

    @Test("errors name file and line", arguments: errors)
    func error(_ testCase: ErrorCase) {
        #expect(throws: ConfigurationError(file: Self.file, line: testCase.line, message: testCase.message)) {
            try Self.parse(testCase.text)
        }
    }

    @Test("error description is FILE:LINE: message")
    func errorDescription() {
        let error = ConfigurationError(file: "/etc/relayguard/relayguard.conf", line: 12, message: "unknown key \"x\"")
        #expect(error.description == "/etc/relayguard/relayguard.conf:12: unknown key \"x\"")
    }

    @Test("a different port on the same host is not a loop")
    func backendOnOtherPort() throws {
        let configuration = try Self.parse("listen = 0.0.0.0:25\nbackend = 127.0.0.1:10025")
        #expect(configuration.backend.port == 10025)
    }

    @Test("IPv4 wildcard does not cover an IPv6 backend")
    func ipv4WildcardAndIPv6Backend() throws {
        let configuration = try Self.parse("listen = 0.0.0.0:25\nbackend = [::1]:25")
        #expect(configuration.backend.description == "[::1]:25")
    }
}
