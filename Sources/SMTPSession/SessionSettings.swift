import RelayPolicy
import DNSBL

/// The policy one session runs with: a snapshot taken when the client connects, so a reload
/// (SIGHUP) never changes the rules under a session in progress (relayguard.conf(5), Signals).
public struct SessionSettings: Sendable {
    public var rules: RelayRules
    public var tarpit: TarpitSchedule
    public var invalidRecipientLimit: Int
    public var errorLimit: Int
    public var maxRecipients: Int
    public var identity: BackendClientIdentity
    public var hostname: String
    public var commandTimeout: Duration
    public var dataTimeout: Duration
    /// Most commands relayguard holds unanswered from one client before it stops reading
    /// more: bounds the memory a pipelining client can make it spend.
    public var maxPipelinedCommands: Int = 100
    /// Most command lines one session takes in one loop turn; the rest waits for the next turn,
    /// so a client flooding commands never delays another client's greeting (docs/ARCHITECTURE.md, protocol safety).
    public var maxCommandsPerTurn: Int = 8
    /// NOOP, VRFY, EXPN, RSET and HELP in one session; beyond it each one counts as an error.
    public var junkCommandLimit: Int = 100
    /// What a client that talks before the greeting gets (`pregreet_action`).
    public var pregreetAction: PregreetAction = .reject
    /// A certificate is configured: STARTTLS is offered and terminated by relayguard.
    public var offerSTARTTLS: Bool
    /// What a DNSBL listing does (`dnsbl_action`).
    public var dnsblAction: DNSBLAction

    public init(configuration: Configuration, recipientMap: RecipientMap) {
        rules = RelayRules(configuration: configuration, recipientMap: recipientMap)
        pregreetAction = configuration.pregreetAction
        tarpit = TarpitSchedule(configuration: configuration)
        invalidRecipientLimit = configuration.invalidRecipientLimit
        errorLimit = configuration.errorLimit
        maxRecipients = configuration.maxRecipients
        identity = configuration.backendClientIdentity
        hostname = configuration.hostname
        commandTimeout = configuration.commandTimeout
        dataTimeout = configuration.dataTimeout
        offerSTARTTLS = configuration.tlsCertFile != nil && configuration.tlsKeyFile != nil
        dnsblAction = configuration.dnsblAction
    }
}
