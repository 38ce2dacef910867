import DecisionLog
import RelayPolicy
import SMTPProtocol
import Testing
@testable import SMTPSession
import NetworkAddress
import DNSBL

/// One `SessionMachine` with no sockets: the test feeds it client bytes, backend bytes, timer
/// expiries and link failures, and the harness performs the actions the way `SessionDriver`
/// would, keeping what each side received, which timers run, and every decision record.
///
/// Every batch of actions is also checked against the machine's contract: nothing happens
/// after the session closed, nothing goes to the backend after its link was closed, and a
/// session never closes without a `disconnect` record.
struct SessionHarness {
    /// The configuration every session starts from; a test's own lines replace these by key.
    static let baseConfiguration = """
        hostname = relay.local.example
        local_domains = local.example
        trusted_networks = 192.0.2.0/24
        tarpit_delay = 0
        """

    /// The backend's banner, as Postfix writes it.
    static let banner = "220 mx.local.example ESMTP Postfix\r\n"

    /// Who wrote which bytes, in the order the actions asked for them.
    enum Write: Equatable {
        case toClient([UInt8])
        case toBackend([UInt8])
    }

    private(set) var machine: SessionMachine
    let configuration: Configuration
    /// Everything written to the client / the backend so far.
    private(set) var clientStream: [UInt8] = []
    private(set) var backendStream: [UInt8] = []
    private(set) var writes: [Write] = []
    private(set) var records: [DecisionRecord] = []
    /// Timers running now, with the delay they were last set to.
    private(set) var runningTimers: [SessionTimer: Duration] = [:]
    /// Every `setTimer`, in order.
    private(set) var timersSet: [SessionAction] = []
    private(set) var blockedClient = false
    /// `.countRefusal` actions so far (refusals counted for the client across sessions).
    private(set) var refusalsCounted = 0
    /// `.resumeNextTurn` actions so far; `resume()` performs one.
    private(set) var resumesAsked = 0
    /// Perform `.resumeNextTurn` at once, as the driver does on its next turn (tests of
    /// fairness turn it off to see each turn).
    var autoResume = true
    /// The machine asked for the TLS handshake to begin.
    private(set) var tlsStarted = false
    private(set) var backendLinkClosed = false
    private(set) var clientClosed = false
    /// The client was closed as an abuser (reset when it does not read).
    private(set) var closedForAbuse = false
    /// The actions of the last event.
    private(set) var lastActions: [SessionAction] = []
    private var clientRead = 0
    private var backendRead = 0
    private var recordsRead = 0

    /// A session from `client` to relayguard's listener at 192.0.2.25:25 (or `server`), with
    /// the base configuration overridden by `config` (`key = value` lines, as in the file).
    init(_ config: String = "", recipients: [String] = [], client: String = "203.0.113.5", clientPort: UInt16 = 40000,
         server: String = "192.0.2.25", serverPort: UInt16 = 25, dnsblPending: Bool = false) throws {
        configuration = try ConfigurationParser.parse(Self.merged(config), file: "test.conf", defaultHostname: "unused.example")
        let recipientMap = try RecipientMap(entries: recipients)
        let settings = SessionSettings(configuration: configuration, recipientMap: recipientMap)
        let clientAddress = IPAddress(client)!
        let standing = ClientStanding(isTrusted: configuration.trustedNetworks.contains { $0.contains(clientAddress) })
        machine = SessionMachine(
            sessionID: "0000abcd",
            peer: SessionPeer(client: clientAddress, clientPort: clientPort, server: IPAddress(server)!, serverPort: serverPort),
            settings: settings, standing: standing, dnsblPending: dnsblPending)
    }

    /// The base configuration with the lines of `config` replacing those of the same key.
    static func merged(_ config: String) -> String {
        func key(_ line: Substring) -> Substring {
            line.prefix { $0 != "=" && $0 != " " }
        }
        let own = config.split(separator: "\n").map { $0.drop { $0 == " " } }.filter { !$0.isEmpty }
        let ownKeys = Set(own.map(key))
        let kept = baseConfiguration.split(separator: "\n").filter { !ownKeys.contains(key($0)) }
        return (kept + own).joined(separator: "\n") + "\n"
    }

    // MARK: Events

    /// The backend link is up and the backend greets (with `banner`): the session starts.
    /// For `xclient` the fresh 220 after XCLIENT is sent too.
    mutating func open(banner: String = SessionHarness.banner) {
        connectBackend()
        backend(banner)
        if configuration.backendClientIdentity == .xclient {
            backend("220 mx.local.example ESMTP Postfix\r\n")
        }
    }

    /// Opens the session and has the client say EHLO (the backend answers it).
    mutating func openWithEHLO() {
        open()
        client("EHLO client.example\r\n")
        backend("250-mx.local.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    }

    mutating func connectBackend() { perform(machine.backendConnected()) }
    mutating func client(_ text: String) { client(bytes: Array(text.utf8)) }
    /// Client bytes, the way `SessionDriver` hands them over: during a message through the
    /// no-copy path (its in-place forward written to the backend before the actions).
    mutating func client(bytes: [UInt8]) {
        guard machine.isReceivingMessage else {
            perform(machine.receivedFromClient(bytes))
            return
        }
        let (forward, actions) = bytes.withUnsafeBytes { machine.receivedMessageBytes($0) }
        if forward > 0 {
            #expect(!backendLinkClosed, "message bytes forwarded after the backend link was closed")
            backendStream += bytes[0..<forward]
            writes.append(.toBackend(Array(bytes[0..<forward])))
        }
        perform(actions)
    }
    /// Sends `bytes` one octet per read.
    mutating func clientByteByByte(_ bytes: [UInt8]) {
        for byte in bytes { client(bytes: [byte]) }
    }
    mutating func backend(_ text: String) { perform(machine.receivedFromBackend(Array(text.utf8))) }
    mutating func backendFails(_ why: String = "backend closed the connection") { perform(machine.backendFailed(why)) }
    mutating func clientCloses() { perform(machine.clientClosed()) }
    /// relayguard is stopping (SIGTERM).
    mutating func stop() { perform(machine.stopRequested()) }
    /// The driver's next loop turn after `.resumeNextTurn`.
    mutating func resume() { perform(machine.resume()) }
    /// The driver reports that the client's refusals across sessions reached their limit.
    mutating func clientRefusalLimitReached() { perform(machine.clientRefusalLimitReached()) }
    mutating func dnsblResolved(_ result: DNSBLResult) { perform(machine.dnsblResolved(result)) }
    mutating func clientOutputBacklog(_ backlogged: Bool) { perform(machine.clientOutputBacklog(backlogged)) }
    mutating func tlsEstablished() { perform(machine.tlsEstablished(protocolName: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")) }
    mutating func tlsFails(_ why: String = "handshake failed") { perform(machine.tlsFailed(why)) }

    /// A timer the machine asked for expires.
    mutating func fire(_ timer: SessionTimer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(runningTimers[timer] != nil, "fired \(timer), which is not running", sourceLocation: sourceLocation)
        runningTimers[timer] = nil
        perform(machine.timerFired(timer))
    }

    // MARK: What happened

    /// Client bytes written since the last call, as text.
    mutating func takeClient() -> String {
        defer { clientRead = clientStream.count }
        return String(decoding: clientStream[clientRead...], as: UTF8.self)
    }

    /// Backend bytes written since the last call, as text.
    mutating func takeBackend() -> String {
        String(decoding: takeBackendBytes(), as: UTF8.self)
    }

    mutating func takeBackendBytes() -> [UInt8] {
        defer { backendRead = backendStream.count }
        return Array(backendStream[backendRead...])
    }

    /// Records logged since the last call, in the shape tests compare.
    mutating func takeRecords() -> [Logged] {
        defer { recordsRead = records.count }
        return records[recordsRead...].map(Logged.init)
    }

    var isClosed: Bool { machine.isClosed }

    /// Whether the last event's actions hold `action`.
    func lastActionsContain(_ action: SessionAction) -> Bool { lastActions.contains(action) }

    // MARK: Performing

    private mutating func perform(_ actions: [SessionAction]) {
        lastActions = actions
        if clientClosed {
            #expect(actions.isEmpty, "actions after the session closed: \(actions)")
            return
        }
        for (index, action) in actions.enumerated() {
            switch action {
            case .sendToClient(let bytes):
                clientStream += bytes
                writes.append(.toClient(bytes))
            case .sendToBackend(let bytes):
                #expect(!backendLinkClosed, "bytes sent to the backend after its link was closed")
                backendStream += bytes
                writes.append(.toBackend(bytes))
            case .setTimer(let timer, let delay):
                runningTimers[timer] = delay
                timersSet.append(action)
            case .cancelTimer(let timer):
                runningTimers[timer] = nil
            case .log(let record):
                #expect(record.session == "0000abcd")
                #expect(record.client == machine.peer.client.description)
                records.append(record)
            case .blockClient:
                blockedClient = true
            case .countRefusal:
                refusalsCounted += 1
            case .resumeNextTurn:
                resumesAsked += 1
            case .startTLS:
                #expect(!tlsStarted, "TLS started twice")
                tlsStarted = true
            case .closeBackend:
                #expect(!backendLinkClosed, "backend link closed twice")
                backendLinkClosed = true
            case .closeClient(let abusive):
                closedForAbuse = abusive
                #expect(index == actions.count - 1, "actions after closeClient: \(actions)")
                #expect(actions.contains { if case .log(let r) = $0 { r.event == .disconnect } else { false } },
                        "closed without a disconnect record")
                clientClosed = true
                backendLinkClosed = true
                runningTimers.removeAll()
            }
        }
        #expect(machine.isClosed == clientClosed, "isClosed disagrees with closeClient")
        // As the driver does on its next loop turn.
        if autoResume && actions.contains(.resumeNextTurn) && !clientClosed {
            perform(machine.resume())
        }
    }
}

extension SessionHarness: CustomTestStringConvertible {
    /// Keeps failure messages short: the streams, not the whole machine.
    var testDescription: String {
        "session(client: \(String(decoding: clientStream, as: UTF8.self).debugDescription), "
            + "backend: \(String(decoding: backendStream, as: UTF8.self).debugDescription), closed: \(isClosed))"
    }
}

/// The fields of a decision record the session machine decides, for comparing in tests.
struct Logged: Equatable, CustomStringConvertible {
    var event: Event
    var decision: Decision?
    var code: Int?
    var enhanced: String?
    var reason: Reason?
    var from: String?
    var rcpt: String?
    var helo: String?
    var tarpitMs: Int?

    init(_ event: Event, _ decision: Decision? = nil, _ code: Int? = nil, _ enhanced: String? = nil, _ reason: Reason? = nil,
         from: String? = nil, rcpt: String? = nil, helo: String? = nil, tarpitMs: Int? = nil) {
        self.event = event
        self.decision = decision
        self.code = code
        self.enhanced = enhanced
        self.reason = reason
        self.from = from
        self.rcpt = rcpt
        self.helo = helo
        self.tarpitMs = tarpitMs
    }

    init(_ record: DecisionRecord) {
        self.init(record.event, record.decision, record.code, record.enhanced, record.reason,
                  from: record.from?.string, rcpt: record.rcpt?.string, helo: record.helo?.string, tarpitMs: record.tarpitMs)
    }

    /// The disconnect record (what ended the session; nil after QUIT).
    static func disconnect(_ reason: Reason?) -> Logged { Logged(.disconnect, nil, nil, nil, reason) }

    var description: String {
        var parts = ["\(event)"]
        if let decision { parts.append("\(decision)") }
        if let code { parts.append("\(code)") }
        if let enhanced { parts.append(enhanced) }
        if let reason { parts.append(reason.rawValue) }
        if let from { parts.append("from=\"\(from)\"") }
        if let rcpt { parts.append("rcpt=\(rcpt)") }
        if let helo { parts.append("helo=\(helo)") }
        if let tarpitMs { parts.append("tarpit_ms=\(tarpitMs)") }
        return parts.joined(separator: " ")
    }
}

/// Named test cases print their name in the test report.
protocol NamedCase: CustomTestStringConvertible, Sendable {
    var name: String { get }
}

extension NamedCase {
    var testDescription: String { name }
}

/// The octets of `text` (UTF-8).
func octets(_ text: String) -> [UInt8] { Array(text.utf8) }
