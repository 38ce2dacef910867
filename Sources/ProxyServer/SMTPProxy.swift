// SMTPProxy: the listeners and everything shared between sessions.
//
// Contract: `start()` binds every `listen` address; each accepted client is checked against
// the harvest block table and the connection limits, then handed to a new `SessionDriver`
// with a snapshot of the current policy. `reload(_:recipientMap:)` swaps the policy for new
// sessions only (the man pages: sessions in progress keep the policy they started with).
// `beginDrain()` stops accepting; `shutdownSessions()` answers 421 to those left.
// Everything runs on the loop thread.
import Glibc
import DecisionLog
import RelayPolicy
import SMTPProtocol
import SMTPSession
import NetworkAddress
import DNSBL
import EventIO
import TLSTransport
import DNSBLResolver

public final class SMTPProxy {
    public let loop: EventLoop
    private(set) var configuration: Configuration
    private var settings: SessionSettings
    /// The STARTTLS certificate, when `tls_cert_file` and `tls_key_file` are set.
    private var tlsContext: TLSServerContext?
    /// The DNSBL lookups, when `dnsbl_sites` names any.
    var dnsbl: DNSBLChecker?
    let logWriter: DecisionLogWriter
    var listeners: [Listener] = []
    var sessions: [ObjectIdentifier: SessionDriver] = [:]
    /// The counters `/metrics` and `ctl stats` show, counted from the records as they are logged.
    let metrics = Metrics()
    private var metricsServer: MetricsServer?
    private var controlServer: ControlServer?
    private var connectionsPerClient: [IPAddress: Int] = [:]
    var harvestDefence: HarvestDefence<MonotonicClock.Instant>
    private var nextSessionNumber: UInt32
    /// Called when the last session ended after `beginDrain()`.
    public var onDrained: (() -> Void)?
    private var draining = false
    private var logFlushScheduled = false
    /// "backend unreachable" on stderr, at most once a minute (operational lines).
    private lazy var backendAlarm = BackendAlarm(backend: "\(configuration.backend)")

    /// Loads the STARTTLS certificate of `configuration`, if it names one.
    public static func loadTLS(_ configuration: Configuration) throws(TLSError) -> TLSServerContext? {
        guard let certificate = configuration.tlsCertFile, let key = configuration.tlsKeyFile else { return nil }
        return try TLSServerContext(certificateFile: certificate, keyFile: key)
    }

    public init(configuration: Configuration, recipientMap: RecipientMap, tls: TLSServerContext?, loop: EventLoop, log: DecisionLogWriter) {
        self.tlsContext = tls
        self.loop = loop
        self.configuration = configuration
        self.settings = SessionSettings(configuration: configuration, recipientMap: recipientMap)
        self.logWriter = log
        self.harvestDefence = HarvestDefence(configuration: configuration)
        // Session ids start at a random point so that ids from two runs rarely collide in a log.
        self.nextSessionNumber = UInt32.random(in: 0...UInt32.max)
        // A log writer that falls behind holds new work (SMTPProxy+LogBackpressure.swift).
        log.attach(to: loop)
        log.onBehindChange = { [unowned self] behind in logWriterBehindChanged(behind) }
    }

    /// The addresses actually bound (with the kernel's port when port 0 was asked for).
    public var boundAddresses: [SocketAddress] { listeners.map(\.address) }

    public var sessionCount: Int { sessions.count }

    /// Binds every `listen` address.
    public func start() throws(SocketError) {
        for spec in configuration.listen {
            let listener = try Listener(address: SocketAddress(spec), loop: loop) { [unowned self] connection in
                accept(connection)
            }
            listeners.append(listener)
        }
        if let spec = configuration.metricsListen {
            metricsServer = try MetricsServer(address: SocketAddress(spec), loop: loop) { [unowned self] in
                metrics.exposition(gauges)
            }
        }
        if let path = configuration.controlSocket {
            // Without its control socket relayguard still serves mail: said loudly, not fatal
            // (e.g. /run/relayguard does not exist when started by hand).
            let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            var status = stat()
            if !directory.isEmpty && stat(directory, &status) != 0 {
                // Not set up as a service (the unit creates /run/relayguard): nothing is wrong.
                OperationalLog.info("no control socket: \(directory) does not exist")
            } else {
                do {
                    controlServer = try ControlServer(path: path, loop: loop, target: self)
                } catch {
                    OperationalLog.warning("no control socket: \(error)")
                }
            }
        }
        dnsbl = try DNSBLChecker.make(configuration: configuration, loop: loop)
        startZoneHealthChecks()
        // Expired harvest blocks and refusal counts are dropped now and then.
        schedulePrune()
    }

    /// New policy for new sessions. Returns nothing: the caller validated it.
    public func reload(_ configuration: Configuration, recipientMap: RecipientMap, tls: TLSServerContext?) {
        let dnsblChanged = configuration.dnsblSites != self.configuration.dnsblSites
            || configuration.dnsblThreshold != self.configuration.dnsblThreshold
            || configuration.dnsblTimeout != self.configuration.dnsblTimeout
            || configuration.dnsServers != self.configuration.dnsServers
        // What a running daemon cannot change: the sockets it bound, the user it became, the
        // log it holds open. Said in the reload record, so nobody believes they took effect.
        var needRestart: [String] = []
        if configuration.listen != self.configuration.listen { needRestart.append("listen") }
        if configuration.user != self.configuration.user { needRestart.append("user") }
        if configuration.log != self.configuration.log { needRestart.append("log") }
        harvestDefence.apply(configuration)
        self.configuration = configuration
        self.tlsContext = tls
        if dnsblChanged {
            // Lookups in flight finish on the old checker; it closes once they must be done.
            if let old = dnsbl {
                _ = loop.schedule(after: old.timeout + .seconds(1)) { old.close() }
            }
            do {
                dnsbl = try DNSBLChecker.make(configuration: configuration, loop: loop)
                startZoneHealthChecks()
            } catch {
                dnsbl = nil
                note(.dnsbl, reason: .dnsblError, detail: "cannot open DNS sockets: \(error); DNSBL checks are off")
            }
        }
        settings = SessionSettings(configuration: configuration, recipientMap: recipientMap)
        log(DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: .reload, decision: .accept, reason: .accepted,
                           detail: needRestart.isEmpty ? nil : LogText("not applied until restart: " + needRestart.joined(separator: ", "))))
    }

    /// A reload that failed: the old policy stays; the log says why.
    public func reloadFailed(_ why: String) {
        log(DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: .reload, decision: .reject,
                           reason: .reloadFailed, detail: LogText(why)))
    }

    /// A record from outside any session (start-up notes, errors).
    public func note(_ event: Event, reason: Reason? = nil, detail: String) {
        log(DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: event, reason: reason, detail: LogText(detail)))
    }

    /// The control socket's path, when it is open.
    public var controlSocketPath: String? { controlServer?.path }

    /// The gauges a scrape reads now.
    var gauges: Metrics.Gauges {
        Metrics.Gauges(sessionsActive: sessions.count, tarpitSessions: sessions.values.filter(\.isTarpitting).count,
                       harvestBlocksActive: harvestDefence.blocks.blocks(now: loop.now()).count)
    }

    /// Stops accepting; `onDrained` runs when the last session has ended.
    public func beginDrain() {
        draining = true
        metricsServer?.close()
        controlServer?.close()
        for listener in listeners { listener.close() }
        listeners.removeAll()
        // Sessions between transactions end now (421 4.3.2); the others when theirs is over.
        for session in Array(sessions.values) { session.stopRequested() }
        if sessions.isEmpty { onDrained?() }
    }

    /// Answers 421 to every session left.
    public func shutdownSessions() {
        for session in Array(sessions.values) { session.shutdown() }
    }

    /// Stamps and writes a decision record; the batch goes to the writer thread at the end
    /// of this loop turn (one hand-over per turn, however many records it made).
    ///
    /// Why not less often: a record is the administrator's (and the tests') evidence of what a
    /// client was just told; holding it back even 20 ms made it lag behind the reply.
    func log(_ record: DecisionRecord) {
        var stamped = record
        stamped.timestamp = WallClock.now()
        metrics.count(stamped)
        if record.reason == .backendUnavailable, record.session != nil {
            backendAlarm.record(detail: record.detail.map { String(decoding: $0.bytes, as: UTF8.self) }, now: loop.now())
        }
        logWriter.write(stamped)
        if !logFlushScheduled {
            logFlushScheduled = true
            loop.runSoon { [unowned self] in
                logFlushScheduled = false
                logWriter.flush()
            }
        }
    }

    public func flushLog() { logWriter.flush() }

    func blockHarvester(_ client: IPAddress) {
        harvestDefence.block(client, now: loop.now())
    }

    /// Counts one refused RCPT of an untrusted, unauthenticated `client` towards
    /// `client_refusal_limit`, across its sessions. True when this refusal reached the limit:
    /// the client (its IPv6 prefix) is blocked for `harvest_block_time` from now, and the
    /// record of this refusal gets reason `client_refusal_limit`.
    public func countRefusal(from client: IPAddress, at now: MonotonicClock.Instant) -> Bool {
        harvestDefence.countRefusal(from: client, now: now)
    }

    func sessionEnded(_ session: SessionDriver) {
        sessions.removeValue(forKey: ObjectIdentifier(session))
        let client = session.clientAddress
        if let count = connectionsPerClient[client] {
            if count <= 1 { connectionsPerClient.removeValue(forKey: client) } else { connectionsPerClient[client] = count - 1 }
        }
        if draining && sessions.isEmpty { onDrained?() }
    }

    func accept(_ connection: BufferedConnection) {
        metrics.countConnection()
        let peerAddress = connection.peerAddress
        let client = peerAddress.ipAddress
        let server = connection.localAddress ?? peerAddress
        let sessionID = makeSessionID()
        let hostname = settings.hostname

        if harvestDefence.isBlocked(client, now: loop.now()) {
            refuseAtConnect(connection, sessionID: sessionID, client: client,
                            reply: Reply(421, "4.7.0", "\(hostname) Too many invalid recipients; try again later"), reason: .harvestBlocked)
            return
        }
        if sessions.count >= configuration.maxConnections
            || connectionsPerClient[client, default: 0] >= configuration.maxConnectionsPerClient {
            refuseAtConnect(connection, sessionID: sessionID, client: client,
                            reply: Reply(421, "4.7.0", "\(hostname) Too many connections; try again later"), reason: .tooManyConnections)
            return
        }

        let standing = ClientStanding(isTrusted: configuration.trustedNetworks.contains { $0.contains(client) })
        // Trusted clients are exempt from rule 5: no lookup for them.
        let checker = standing.isTrusted ? nil : dnsbl
        let machine = SessionMachine(
            sessionID: sessionID,
            peer: SessionPeer(client: client, clientPort: peerAddress.port, server: server.ipAddress, serverPort: server.port),
            settings: settings, standing: standing, dnsblPending: checker != nil)
        let session = SessionDriver(proxy: self, client: connection, clientAddress: client, machine: machine, tlsContext: tlsContext)
        sessions[ObjectIdentifier(session)] = session
        connectionsPerClient[client, default: 0] += 1
        let backend = SocketAddress(configuration.backend)
        session.start(backendAddress: backend, connectTimeout: settings.commandTimeout,
                      deferBackend: checker != nil && settings.dnsblAction == .rejectAtConnect)
        if let checker {
            // Started at connect, for all zones at once, so the result is there by RCPT.
            session.dnsblCheck = checker.check(client: client) { [weak session] result in
                session?.dnsblResolved(result)
            }
        }
    }

    private func refuseAtConnect(_ connection: BufferedConnection, sessionID: String, client: IPAddress, reply: Reply, reason: Reason) {
        var record = DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), session: sessionID, event: .connect,
                                    client: client.description, decision: .drop, code: reply.code, enhanced: reply.enhanced, reason: reason)
        record.clientPort = Int(connection.peerAddress.port)
        log(record)
        connection.write(reply.wireBytes)
        connection.closeAfterFlush()
    }

    /// Zone health (RFC 5782 test points) at start and every five minutes; a zone disabled or
    /// re-enabled is logged loudly, on stderr too.
    private func startZoneHealthChecks() {
        // DNS servers not answering: said after every probe round while it lasts (at start,
        // then every recheck), and once when they answer again.
        var serversSilent = false
        let servers = configuration.dnsServers.isEmpty ? "of /etc/resolv.conf"
            : configuration.dnsServers.map(\.description).joined(separator: ", ")
        dnsbl?.onServersAnswering = { [weak self] answering in
            guard let self else { return }
            if !answering {
                serversSilent = true
                let what = "DNS servers \(servers) not answering: no DNSBL test-point lookup got an answer; DNSBL checks fail open"
                OperationalLog.warning(what)
                note(.dnsbl, reason: .dnsblTimeout, detail: what)
            } else if serversSilent {
                serversSilent = false
                OperationalLog.info("DNS servers \(servers) answering again")
            }
        }
        dnsbl?.startHealthChecks { [weak self] transition in
            guard let self else { return }
            note(.dnsbl, reason: transition.isAlarm ? .dnsblError : nil, detail: transition.description)
            if transition.isAlarm { OperationalLog.write(transition.to.isEnabled ? .info : .warning, transition.description) }
        }
    }

    private func makeSessionID() -> String {
        nextSessionNumber &+= 1
        let hex = String(nextSessionNumber, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    private func schedulePrune() {
        _ = loop.schedule(after: .seconds(60)) { [weak self] in
            guard let self else { return }
            harvestDefence.prune(now: loop.now())
            schedulePrune()
        }
    }
}
