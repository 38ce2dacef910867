import NetworkAddress
import DNSBL

/// The whole configuration of relayguard: every key of relayguard.conf(5), already validated.
///
/// Build one with `ConfigurationParser.parse` (from the file) or `defaults(hostname:)`.
/// A value of this type is always internally consistent: the parser refuses files that
/// are not (see `ConfigurationParser`), so the daemon never checks again.
public struct Configuration: Sendable, Equatable {
    /// `listen`: addresses to accept SMTP on.
    public var listen: [SocketAddressSpec]
    /// `backend`: the MTA that allowed sessions are forwarded to.
    public var backend: SocketAddressSpec
    /// `backend_client_identity`: how the backend learns the real client.
    public var backendClientIdentity: BackendClientIdentity
    /// `hostname`: used in replies relayguard writes itself.
    public var hostname: String
    /// `local_domains`, lower case, without a trailing dot: `example.org`, `.example.org`
    /// (subdomains), `[192.0.2.1]`, `[ipv6:2001:db8::1]` (address literals in canonical text).
    public var localDomains: [String]
    /// `relay_domains`, in the same form as `localDomains`.
    public var relayDomains: [String]
    /// `trusted_networks`: clients that may relay to any domain.
    public var trustedNetworks: [CIDR]
    /// `recipient_check`.
    public var recipientCheck: RecipientCheck
    /// `recipient_map`: an absolute file path, or nil. Set whenever `recipientCheck` is `.map`.
    /// The parser does not open it (it is pure); `run` loads it and reloads it with the config.
    public var recipientMap: String?
    /// `tarpit_delay`: delay before the reply to a rejected RCPT; zero disables the tarpit.
    public var tarpitDelay: Duration
    /// `tarpit_max_delay`: cap on the tarpit delay; never less than `tarpitDelay`.
    public var tarpitMaxDelay: Duration
    /// `invalid_recipient_limit`: rejected RCPTs in a session before `421` (at least 1).
    public var invalidRecipientLimit: Int
    /// `harvest_block_time`: how long a harvesting client is refused at connect (zero: no block).
    public var harvestBlockTime: Duration
    /// `error_limit`: protocol errors in a session before `421` (at least 1).
    public var errorLimit: Int
    /// `junk_command_limit`: NOOP, VRFY, EXPN, RSET and HELP in a session; beyond it each one
    /// counts as an error (at least 1).
    public var junkCommandLimit: Int
    /// `dnsbl_sites`: empty means no DNSBL lookups.
    public var dnsblSites: [DNSBLSite]
    /// `dnsbl_threshold`: score at or above which a client is listed (at least 1).
    public var dnsblThreshold: Int
    /// `dnsbl_action`.
    public var dnsblAction: DNSBLAction
    /// `dnsbl_timeout`: after this the lookup counts as not listed (positive).
    public var dnsblTimeout: Duration
    /// `dns_servers`: empty means the servers of /etc/resolv.conf.
    public var dnsServers: [SocketAddressSpec]
    /// `bare_newline`.
    public var bareNewline: BareNewlinePolicy
    /// `max_connections` (at least 1).
    public var maxConnections: Int
    /// `max_connections_per_client` (at least 1).
    public var maxConnectionsPerClient: Int
    /// `max_recipients` per transaction (at least 1).
    public var maxRecipients: Int
    /// `command_timeout` (positive).
    public var commandTimeout: Duration
    /// `data_timeout` (positive).
    public var dataTimeout: Duration
    /// `tls_cert_file`: absolute path; set exactly when `tlsKeyFile` is.
    public var tlsCertFile: String?
    /// `tls_key_file`: absolute path; set exactly when `tlsCertFile` is.
    public var tlsKeyFile: String?
    /// `log`: where the decision log goes.
    public var log: LogDestination
    /// `user`: when started as root, bind, then drop to this user.
    public var user: String?
    /// `client_refusal_limit`: refused RCPTs from one client, across its sessions, within
    /// `clientRefusalWindow`, before it is blocked for `harvestBlockTime` (at least 1).
    public var clientRefusalLimit: Int
    /// `client_refusal_window`: how far back refusals count (positive).
    public var clientRefusalWindow: Duration
    /// `client_ipv6_prefix`: IPv6 clients are counted and blocked per prefix of this many bits
    /// (1 to 128).
    public var clientIPv6Prefix: Int
    /// `metrics_listen`: where Prometheus scrapes `/metrics`; nil: no metrics listener.
    public var metricsListen: SocketAddressSpec?
    /// `control_socket`: the Unix socket `relayguard ctl` talks to; nil: none.
    public var controlSocket: String?
    /// `shutdown_grace`: after SIGTERM, how long a session inside a mail transaction may take
    /// to finish.
    public var shutdownGrace: Duration = .seconds(30)
    /// `pregreet_action`: what a client that sends before the greeting gets.
    public var pregreetAction: PregreetAction = .reject

    /// The defaults of relayguard.conf(5); `hostname` is the system host name, passed in
    /// because this module does not ask the system.
    public static func defaults(hostname: String) -> Configuration {
        Configuration(
            listen: [SocketAddressSpec(address: IPAddress(ipv4: (127, 0, 0, 1)), port: 2525)],
            backend: SocketAddressSpec(address: IPAddress(ipv4: (127, 0, 0, 1)), port: 10025),
            backendClientIdentity: .proxyV2,
            hostname: hostname,
            localDomains: [],
            relayDomains: [],
            trustedNetworks: [
                CIDR(network: IPAddress(ipv4: (127, 0, 0, 1)), prefixLength: 32)!,
                CIDR(network: IPAddress(ipv6Bytes: Array(repeating: 0, count: 15) + [1]), prefixLength: 128)!,
            ],
            recipientCheck: .backend,
            recipientMap: nil,
            tarpitDelay: .seconds(5),
            tarpitMaxDelay: .seconds(30),
            invalidRecipientLimit: 10,
            harvestBlockTime: .seconds(600),
            errorLimit: 20,
            junkCommandLimit: 100,
            dnsblSites: [],
            dnsblThreshold: 1,
            dnsblAction: .reject,
            dnsblTimeout: .seconds(2),
            dnsServers: [],
            bareNewline: .reject,
            maxConnections: 10_000,
            maxConnectionsPerClient: 50,
            maxRecipients: 1000,
            commandTimeout: .seconds(300),
            dataTimeout: .seconds(600),
            tlsCertFile: nil,
            tlsKeyFile: nil,
            log: .stderr,
            user: nil,
            clientRefusalLimit: 30,
            clientRefusalWindow: .seconds(3600),
            clientIPv6Prefix: 64,
            metricsListen: nil,
            controlSocket: "/run/relayguard/control"
        )
    }
}
