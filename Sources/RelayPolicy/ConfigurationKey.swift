/// Every key of the configuration file, in the order of relayguard.conf(5)'s table.
///
/// `check-config` prints the settings in this order; the parser dispatches on it with an
/// exhaustive switch, so a new key cannot be parsed without also being printed.
public enum ConfigurationKey: String, Sendable, CaseIterable {
    case listen
    case backend
    case backendClientIdentity = "backend_client_identity"
    case hostname
    case localDomains = "local_domains"
    case relayDomains = "relay_domains"
    case trustedNetworks = "trusted_networks"
    case recipientCheck = "recipient_check"
    case recipientMap = "recipient_map"
    case tarpitDelay = "tarpit_delay"
    case tarpitMaxDelay = "tarpit_max_delay"
    case invalidRecipientLimit = "invalid_recipient_limit"
    case harvestBlockTime = "harvest_block_time"
    case errorLimit = "error_limit"
    case junkCommandLimit = "junk_command_limit"
    case dnsblSites = "dnsbl_sites"
    case dnsblThreshold = "dnsbl_threshold"
    case dnsblAction = "dnsbl_action"
    case dnsblTimeout = "dnsbl_timeout"
    case dnsServers = "dns_servers"
    case bareNewline = "bare_newline"
    case maxConnections = "max_connections"
    case maxConnectionsPerClient = "max_connections_per_client"
    case maxRecipients = "max_recipients"
    case commandTimeout = "command_timeout"
    case dataTimeout = "data_timeout"
    case tlsCertFile = "tls_cert_file"
    case tlsKeyFile = "tls_key_file"
    case log
    case user
    case clientRefusalLimit = "client_refusal_limit"
    case clientRefusalWindow = "client_refusal_window"
    case clientIPv6Prefix = "client_ipv6_prefix"
    case metricsListen = "metrics_listen"
    case controlSocket = "control_socket"
    case shutdownGrace = "shutdown_grace"
    case pregreetAction = "pregreet_action"
}
