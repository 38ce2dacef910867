import DNSBL
import NetworkAddress
import RelayPolicy
@testable import SMTPSession

/// The session under test, built from the first two bytes of the input: which configuration
/// it runs with and who its client is.
///
/// Byte 0: bit 0 tarpit on; bits 1-2 `backend_client_identity` (proxy-v1, xclient, none,
/// proxy-v2); bit 3 a TLS certificate configured (paths only: nothing is loaded); bit 4 the
/// client is trusted; bit 5 a DNSBL lookup is pending; bits 6-7 `dnsbl_action` (reject, log,
/// reject-at-connect, reject).
///
/// Byte 1: bits 0-1 `recipient_check` (backend, map, off, backend); bits 2-3
/// `invalid_recipient_limit` (10, 1, 2, 3); bits 4-5 `error_limit` (20, 2, 3, 5); bit 6
/// `max_recipients = 2`; bit 7 small queues (4 replies owed at most, 2 commands a turn, 3 junk
/// commands), so the pipelining limits are reached with short inputs.
struct FuzzedSession {
    static let sessionID = "fuzz0001"
    static let trustedClient = IPAddress("192.0.2.7")!
    static let untrustedClient = IPAddress("203.0.113.5")!
    static let server = IPAddress("192.0.2.25")!
    static let clientPort: UInt16 = 40000
    static let serverPort: UInt16 = 25
    /// What `recipient_check = map` finds: one mailbox and one whole domain.
    static let recipientMapEntries = ["alice@local.example", "@team.local.example"]

    let configurationText: String
    let settings: SessionSettings
    let peer: SessionPeer
    let standing: ClientStanding
    let identity: BackendClientIdentity
    let dnsblPending: Bool
    let dnsblAction: DNSBLAction

    init(_ script: inout FuzzScript) {
        let first = script.byte()
        let second = script.byte()
        let identity: BackendClientIdentity = [.proxyV1, .xclient, .none, .proxyV2][Int(first >> 1 & 3)]
        let dnsblAction: DNSBLAction = [.reject, .log, .rejectAtConnect, .reject][Int(first >> 6 & 3)]
        let recipientCheck = ["backend", "map", "off", "backend"][Int(second & 3)]
        var lines = [
            "hostname = relay.fuzz.example",
            "local_domains = local.example, team.local.example",
            "relay_domains = relay.example",
            "trusted_networks = 192.0.2.0/24",
            "backend_client_identity = \(identity.rawValue)",
            "recipient_check = \(recipientCheck)",
            "dnsbl_sites = bl.fuzz.example*2",
            "dnsbl_action = \(dnsblAction.rawValue)",
            "invalid_recipient_limit = \([10, 1, 2, 3][Int(second >> 2 & 3)])",
            "error_limit = \([20, 2, 3, 5][Int(second >> 4 & 3)])",
        ]
        if recipientCheck == "map" { lines.append("recipient_map = /etc/relayguard/recipients") }
        lines.append(first & 1 != 0 ? "tarpit_delay = 1s\ntarpit_max_delay = 3s" : "tarpit_delay = 0")
        if first & 8 != 0 { lines.append("tls_cert_file = /etc/relayguard/cert.pem\ntls_key_file = /etc/relayguard/key.pem") }
        if second & 0x40 != 0 { lines.append("max_recipients = 2") }
        configurationText = lines.joined(separator: "\n") + "\n"

        let (configuration, parsedSettings) = Self.parsed(configurationText)
        var settings = parsedSettings
        if second & 0x80 != 0 {
            settings.maxPipelinedCommands = 4
            settings.maxCommandsPerTurn = 2
            settings.junkCommandLimit = 3
        }
        self.settings = settings
        let client = first & 0x10 != 0 ? Self.trustedClient : Self.untrustedClient
        peer = SessionPeer(client: client, clientPort: Self.clientPort, server: Self.server, serverPort: Self.serverPort)
        standing = ClientStanding(isTrusted: configuration.trustedNetworks.contains { $0.contains(client) })
        self.identity = identity
        self.dnsblPending = first & 0x20 != 0
        self.dnsblAction = dnsblAction
    }

    /// Configurations already parsed, by their text. Why: parsing one costs more than playing
    /// most scripts, and there are at most a few hundred distinct texts. (libFuzzer runs one
    /// input at a time, on one thread.)
    nonisolated(unsafe) private static var parsedConfigurations: [String: (Configuration, SessionSettings)] = [:]

    private static func parsed(_ text: String) -> (Configuration, SessionSettings) {
        if let parsed = parsedConfigurations[text] { return parsed }
        do {
            let configuration = try ConfigurationParser.parse(text, file: "fuzz.conf", defaultHostname: "unused.example")
            let parsed = (configuration, SessionSettings(configuration: configuration, recipientMap: recipientMap))
            parsedConfigurations[text] = parsed
            return parsed
        } catch {
            invariantFailure("the fuzzer's own configuration does not parse: \(error)\n\(text)")
        }
    }

    private static let recipientMap: RecipientMap = {
        do {
            return try RecipientMap(entries: recipientMapEntries)
        } catch {
            invariantFailure("the fuzzer's recipient map does not parse: \(error)")
        }
    }()

    /// The driver opens the backend link only after the DNSBL result when a listed client is
    /// to be refused at connect: such a client never reaches the backend.
    var defersBackend: Bool { dnsblPending && dnsblAction == .rejectAtConnect }

    func makeMachine() -> SessionMachine {
        SessionMachine(sessionID: Self.sessionID, peer: peer, settings: settings, standing: standing, dnsblPending: dnsblPending)
    }

    /// What the backend must receive first, written here from the protocols' own
    /// descriptions rather than taken from relayguard's code: the PROXY header (v1 text, v2
    /// binary), or nothing (`xclient` sends its command after the greeting; `none` nothing).
    var expectedIdentityHeader: [UInt8]? {
        let client = peer.client.bytes
        let server = peer.server.bytes
        switch identity {
        case .proxyV1:
            return Array("PROXY TCP4 \(peer.client) \(peer.server) \(Self.clientPort) \(Self.serverPort)\r\n".utf8)
        case .proxyV2:
            let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
            let ports: [UInt8] = [UInt8(Self.clientPort >> 8), UInt8(Self.clientPort & 0xFF),
                                  UInt8(Self.serverPort >> 8), UInt8(Self.serverPort & 0xFF)]
            return signature + [0x21, 0x11, 0x00, 0x0C] + client + server + ports
        case .xclient, .none:
            return nil
        }
    }

    /// The XCLIENT command relayguard sends after the backend's first 220 (`xclient`).
    var expectedXCLIENT: [UInt8] {
        Array("XCLIENT NAME=[UNAVAILABLE] ADDR=\(peer.client) PORT=\(Self.clientPort)\r\n".utf8)
    }

    /// A DNSBL result: clean, listed (score 2 of threshold 1), or a zone that timed out.
    func dnsblResult(_ choice: UInt8) -> DNSBLResult {
        switch choice % 3 {
        case 0:
            return DNSBLResult(client: peer.client, score: DNSBLScore(score: 0, threshold: 1, hits: [], listingZones: []))
        case 1:
            return DNSBLResult(client: peer.client,
                               score: DNSBLScore(score: 2, threshold: 1, hits: ["bl.fuzz.example=127.0.0.2"], listingZones: ["bl.fuzz.example"]),
                               text: "listed at bl.fuzz.example")
        default:
            return DNSBLResult(client: peer.client, score: DNSBLScore(score: 0, threshold: 1, hits: [], listingZones: []),
                               timedOutZones: ["bl.fuzz.example"])
        }
    }
}
