// SessionDriver: performs one session's actions on the event loop.
//
// Contract: owns the client connection, the backend link and the session's three timers;
// feeds every byte and expiry to the `SessionMachine` and performs the actions it returns,
// in order. Nothing here decides anything about SMTP. Lives and dies on the loop thread.
//
// Backpressure: the client is not read while the backend's write queue is long or while the
// machine holds unexamined bytes (a client pipelining far ahead); reading resumes when they
// drain. So one fast client can never make relayguard buffer without bound.
import DecisionLog
import RelayPolicy
import SMTPSession
import NetworkAddress
import DNSBL
import EventIO
import TLSTransport
import DNSBLResolver

final class SessionDriver {
    private unowned let proxy: SMTPProxy
    private let client: BufferedConnection
    private var backend: BufferedConnection?
    private var connector: OutboundConnector?
    private var machine: SessionMachine
    /// The certificate this session offers STARTTLS with (a snapshot: reloads don't change it).
    private let tlsContext: TLSServerContext?
    /// Set once the machine said `.startTLS`: from then on the client speaks TLS records.
    private var tls: TLSConnection?
    /// The DNSBL lookup started at accept, cancelled if the session ends first.
    var dnsblCheck: DNSBLCheck?
    /// The backend link to open after the DNSBL result (reject-at-connect).
    private var deferredBackend: (SocketAddress, Duration)?
    private var tarpitTimer: TimerHandle?
    /// When the oldest command still unanswered went to the backend (the reply-latency metric).
    private var backendSentAt: MonotonicClock.Instant?
    /// The session's state, for `ctl sessions`.
    var stateName: String { machine.stateName }
    /// A tarpit delay is running for this session's next reply.
    var isTarpitting: Bool { tarpitTimer != nil }
    private var idleTimer: TimerHandle?
    private var backendTimer: TimerHandle?
    let clientAddress: IPAddress
    private let startedAt: MonotonicClock.Instant
    private var ended = false

    static let maxBackendBacklog = 1 << 20
    static let maxHeldClientBytes = 64 * 1024
    static let maxClientBacklog = 256 * 1024

    init(proxy: SMTPProxy, client: BufferedConnection, clientAddress: IPAddress, machine: SessionMachine, tlsContext: TLSServerContext?) {
        self.proxy = proxy
        self.tlsContext = tlsContext
        self.client = client
        self.clientAddress = clientAddress
        self.machine = machine
        self.startedAt = client.loop.now()
    }

    /// Starts the session. `deferBackend`: open the backend link only once the DNSBL result is
    /// in (reject-at-connect: a listed client never reaches the backend at all).
    func start(backendAddress: SocketAddress, connectTimeout: Duration, deferBackend: Bool = false) {
        client.onRead = { [unowned self] bytes in
            if let tls {
                receivedTLS(tls, bytes)
            } else if machine.isReceivingMessage {
                // The hot path of every message: scanned in the read buffer, clean bytes
                // written to the backend straight from it.
                let (forward, actions) = machine.receivedMessageBytes(bytes)
                if forward > 0 { backend?.write(UnsafeRawBufferPointer(rebasing: bytes[0..<forward])) }
                perform(actions)
            } else {
                perform(machine.receivedFromClient(Array(bytes)))
            }
        }
        client.onEndOfInput = { [unowned self] in perform(machine.clientClosed()) }
        client.onError = { [unowned self] _ in perform(machine.clientClosed()) }
        client.onWriteQueueDrained = { [unowned self] in
            if machine.clientOutputBacklogged { perform(machine.clientOutputBacklog(false)) }
        }
        if deferBackend {
            deferredBackend = (backendAddress, connectTimeout)
        } else {
            connectBackend(backendAddress, timeout: connectTimeout)
        }
    }

    /// Opens the backend link (at accept, or after the DNSBL result for reject-at-connect).
    private func connectBackend(_ backendAddress: SocketAddress, timeout connectTimeout: Duration) {
        connector = OutboundConnector.connect(to: backendAddress, timeout: connectTimeout, loop: client.loop) { [unowned self] result in
            connector = nil
            switch result {
            case .success(let link):
                backend = link
                link.onRead = { [unowned self] bytes in
                    if let sent = backendSentAt {
                        backendSentAt = nil
                        proxy.metrics.observeBackendLatency(sent.duration(to: client.loop.now()))
                    }
                    perform(machine.receivedFromBackend(Array(bytes)))
                }
                link.onEndOfInput = { [unowned self] in backendLost("backend closed the connection") }
                link.onError = { [unowned self] error in backendLost("backend link failed: \(error)") }
                link.onWriteQueueDrained = { [unowned self] in adjustClientReading() }
                perform(machine.backendConnected())
            case .failure(let error):
                perform(machine.backendFailed("cannot connect to backend \(backendAddress): \(error)"))
            }
        }
    }

    /// The DNSBL lookup for this client has its result.
    func dnsblResolved(_ result: DNSBLResult) {
        dnsblCheck = nil
        guard !ended else { return }
        proxy.metrics.count(result, sites: proxy.configuration.dnsblSites)
        perform(machine.dnsblResolved(result))
        if !ended, let (address, timeout) = deferredBackend {
            deferredBackend = nil
            connectBackend(address, timeout: timeout)
        }
    }

    /// SIGTERM: end now if between transactions, else when the transaction is over.
    func stopRequested() {
        perform(machine.stopRequested())
    }

    /// SIGTERM after the drain period.
    func shutdown() {
        perform(machine.shutdown())
    }

    /// TLS records from the client: the handshake, then plaintext for the machine.
    private func receivedTLS(_ tls: TLSConnection, _ bytes: UnsafeRawBufferPointer) {
        let wasHandshaking = tls.state == .handshaking
        let plaintext = tls.receive(bytes)
        let outgoing = tls.takeOutgoing()
        if !outgoing.isEmpty { client.write(outgoing) }
        switch tls.state {
        case .handshaking:
            return
        case .failed(let why):
            // Never fall back to plaintext: a broken TLS stream ends the session at once.
            perform(machine.tlsFailed(wasHandshaking ? "handshake failed: \(why)" : why))
        case .established, .closedByPeer:
            // One read may hold the client's Finished, its first commands and its close_notify:
            // each is taken in that order.
            if wasHandshaking {
                perform(machine.tlsEstablished(protocolName: tls.protocolName, cipher: tls.cipherName))
            }
            if !plaintext.isEmpty && !ended { perform(machine.receivedFromClient(plaintext)) }
            if tls.state == .closedByPeer && !ended { perform(machine.clientClosed()) }
        }
    }

    private func writeToClient(_ bytes: [UInt8]) {
        guard let tls else {
            client.write(bytes)
            return
        }
        // Once TLS has started, nothing is ever written in plaintext.
        guard tls.state == .established || tls.state == .closedByPeer else { return }
        tls.send(bytes)
        client.write(tls.takeOutgoing())
    }

    private func backendLost(_ why: String) {
        backend?.close()
        backend = nil
        perform(machine.backendFailed(why))
    }

    private func perform(_ actions: [SessionAction]) {
        var clientRefusalLimitReached = false
        for action in actions {
            switch action {
            case .sendToClient(let bytes):
                writeToClient(bytes)
            case .startTLS:
                guard let tlsContext, let connection = try? TLSConnection(context: tlsContext) else {
                    perform(machine.tlsFailed("cannot start TLS"))
                    return
                }
                tls = connection
            case .sendToBackend(let bytes):
                if backendSentAt == nil { backendSentAt = client.loop.now() }
                backend?.write(bytes)
            case .setTimer(let timer, let delay):
                cancel(timer)
                guard !ended else { continue }   // its closure must never outlive the session
                let handle = client.loop.schedule(after: delay) { [unowned self] in
                    clearHandle(timer)
                    perform(machine.timerFired(timer))
                }
                setHandle(timer, handle)
            case .cancelTimer(let timer):
                cancel(timer)
            case .log(var record):
                if record.event == .disconnect {
                    record.durationMs = Int(startedAt.duration(to: client.loop.now()).milliseconds)
                }
                proxy.log(record)
            case .blockClient:
                proxy.blockHarvester(clientAddress)
            case .countRefusal:
                // Across sessions (client_refusal_limit). Counted now; the machine hears of the
                // limit once this list is done, so its 421 follows the actions of the refusal.
                if proxy.countRefusal(from: clientAddress, at: client.loop.now()) { clientRefusalLimitReached = true }
            case .resumeNextTurn:
                client.loop.runSoon { [self] in
                    if !ended { perform(machine.resume()) }
                }
            case .closeBackend:
                deferredBackend = nil
                connector?.cancel()
                connector = nil
                backend?.close()
                backend = nil
            case .closeClient(let abusive):
                end(abusive: abusive)
            }
        }
        if clientRefusalLimitReached && !ended {
            perform(machine.clientRefusalLimitReached())
            return
        }
        if !ended { adjustClientReading() }
    }

    /// The decision log's writer fell behind or caught up: pause or resume reading commands.
    func logBackpressureChanged() {
        adjustClientReading()
    }

    private func adjustClientReading() {
        guard !ended else { return }
        // Replies the client does not read: stop taking its commands (each would queue another
        // reply) until they have left.
        if client.pendingWriteBytes > Self.maxClientBacklog && !machine.clientOutputBacklogged {
            perform(machine.clientOutputBacklog(true))
            return
        }
        let backendBacklog = backend?.pendingWriteBytes ?? 0
        let shouldPause = backendBacklog > Self.maxBackendBacklog || machine.heldClientBytes > Self.maxHeldClientBytes
            || machine.clientOutputBacklogged
            || (proxy.isLogBackpressured && !machine.isReceivingMessage)  // commands wait for the log writer
        if shouldPause && !client.isReadingPaused {
            client.pauseReading()
        } else if !shouldPause && client.isReadingPaused {
            client.resumeReading()
        }
    }

    /// `abusive`: the session was ended for abuse (a limit reached, not SMTP): its last reply
    /// gets a short while to leave, then the connection is reset and its unsent bytes freed.
    private func end(abusive: Bool = false) {
        guard !ended else { return }
        ended = true
        for timer in SessionTimer.allCases { cancel(timer) }
        dnsblCheck?.cancel()
        dnsblCheck = nil
        connector?.cancel()
        connector = nil
        backend?.close()
        backend = nil
        // The driver goes away with `sessionEnded`: no callback of the client connection may
        // reach it afterwards (a reset during the final flush reports an error later).
        client.onRead = nil
        client.onEndOfInput = nil
        client.onError = nil
        client.onWriteQueueDrained = nil
        // A client that stops reading (a zero TCP window) must not keep a finished session's
        // socket, outside every limit, for ever: its last replies get a deadline to be delivered,
        // then a reset, so the kernel drops them instead of holding them for minutes.
        client.closeWhenDelivered(within: abusive ? Self.abusiveFlushTimeout : Self.finalFlushTimeout)
        proxy.sessionEnded(self)
    }

    /// How long the last replies of a finished session may take to leave.
    static let finalFlushTimeout: Duration = .seconds(30)
    /// The same for a session ended for abuse: a client that reads gets its 421 in time; one
    /// that does not holds nothing for long.
    static let abusiveFlushTimeout: Duration = .seconds(2)

    private func cancel(_ timer: SessionTimer) {
        if let handle = handle(timer) {
            _ = client.loop.cancel(handle)
            clearHandle(timer)
        }
    }

    private func handle(_ timer: SessionTimer) -> TimerHandle? {
        switch timer {
        case .tarpit: tarpitTimer
        case .clientDeadline: idleTimer
        case .backendReply: backendTimer
        }
    }

    private func setHandle(_ timer: SessionTimer, _ handle: TimerHandle) {
        switch timer {
        case .tarpit: tarpitTimer = handle
        case .clientDeadline: idleTimer = handle
        case .backendReply: backendTimer = handle
        }
    }

    private func clearHandle(_ timer: SessionTimer) {
        switch timer {
        case .tarpit: tarpitTimer = nil
        case .clientDeadline: idleTimer = nil
        case .backendReply: backendTimer = nil
        }
    }
}
