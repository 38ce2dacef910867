import DecisionLog
import RelayPolicy
import SMTPProtocol
import NetworkAddress
import DNSBL

/// One client session, as a pure state machine: bytes and timer expiries in, actions out
/// (relayguard.conf(5), RELAY DECISION to 6). It owns no socket and reads no clock; the proxy's session driver
/// performs its actions on the event loop. This module imports no Glibc, Foundation or
/// Dispatch, and the package graph keeps it so.
///
/// Lockstep: relayguard keeps its own view of the SMTP state in step with the backend's, and
/// never ahead of it: a fact the backend decides (a sender, a greeting, an authentication) is
/// recorded from the backend's reply, not from the command. A command reaches the backend
/// only once parsed and approved, as its original bytes. Replies go back in command order,
/// whoever wrote them: `pending` is that order. Input is held after a command that must be
/// answered before anything else is read (RFC 2920's last-in-group commands), so nothing after
/// EHLO, DATA or QUIT is forwarded blind.
///
/// Where things are: events (this file), commands (`+Commands`), RCPT decisions and their
/// bookkeeping (`+Recipients`), the reply queue and the backend's answers (`+Replies`), the
/// message phase (`+Message`), records (`+Records`).
public struct SessionMachine {
    public let sessionID: String
    public let peer: SessionPeer
    let settings: SessionSettings
    var standing: ClientStanding

    var phase: SessionPhase = .awaitingGreeting(.banner)
    var dialogue = Dialogue()
    var dnsbl: DNSBLLookup
    var framer = LineFramer()
    var backendReplies = ReplyParser()
    var limits: SessionLimits
    /// RCPTs refused in this session, for the tarpit's n (the limits count apart).
    var refusedRecipients = 0
    /// NOOP, VRFY, EXPN, RSET and HELP so far (`junk_command_limit`).
    var junkCommands = 0
    /// Command lines taken so far: before the first, bytes that may start a PROXY signature
    /// are held however the client cuts them.
    var linesTaken = 0
    /// Replies owed to the client, in command order.
    var pending: [PendingReply] = []
    var tarpit: TarpitClock = .idle
    /// The client sent EOF: answer what it sent, then close. A fact of the socket, not of SMTP.
    var clientInputEnded = false
    /// The client is not reading its replies: no new command is taken until they have left.
    /// A fact of the socket the driver reports.
    public private(set) var clientOutputBacklogged = false
    /// The backend link is open (or being opened). A fact of the socket: it closes on
    /// reject-at-connect, on an aborted message and when the backend fails.
    var backendLinkOpen = true
    /// relayguard is stopping (SIGTERM): the session ends as soon as it is between transactions.
    /// A fact of the process, not of SMTP.
    var stopping = false

    /// `dnsblPending`: a DNSBL lookup for this client has started; `dnsblResolved` follows.
    public init(sessionID: String, peer: SessionPeer, settings: SessionSettings, standing: ClientStanding, dnsblPending: Bool = false) {
        self.sessionID = sessionID
        self.peer = peer
        self.settings = settings
        self.standing = standing
        self.dnsbl = dnsblPending ? .pending : .notAsked
        self.limits = SessionLimits(invalidRecipientLimit: settings.invalidRecipientLimit, errorLimit: settings.errorLimit)
    }

    /// Reading a message: the driver may hand bytes to `receivedMessageBytes` without a copy.
    public var isReceivingMessage: Bool {
        if case .message = phase { return true }
        return false
    }

    /// Whether the session has ended.
    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// The state in a word, for operators (`relayguard ctl sessions`): where the session is,
    /// and inside a transaction or not.
    public var stateName: String {
        switch phase {
        case .awaitingGreeting: "greeting"
        case .commands, .saslResponse, .onlyQuit:
            switch dialogue.transaction {
            case .none: "idle"
            case .mailPending, .open: "transaction"
            }
        case .message: "message"
        case .tlsHandshake: "tls-handshake"
        case .closed: "closed"
        }
    }

    /// Whether the session reads client commands now (commands, a SASL line, or only QUIT).
    var isReadingCommands: Bool {
        switch phase {
        case .commands, .saslResponse, .onlyQuit: true
        case .awaitingGreeting, .message, .tlsHandshake, .closed: false
        }
    }

    /// Bytes read from the client and not yet examined: the driver stops reading when this
    /// grows while input is held.
    public var heldClientBytes: Int { framer.bufferedByteCount }

    // MARK: Events

    /// The backend link is connected: send the identity header and wait for its greeting.
    public mutating func backendConnected() -> [SessionAction] {
        var actions: [SessionAction] = [.setTimer(.backendReply, settings.commandTimeout)]
        if let header = ClientIdentityHeader.preamble(settings.identity, client: peer.client, clientPort: peer.clientPort,
                                                      server: peer.server, serverPort: peer.serverPort) {
            actions.append(.sendToBackend(header))
        }
        return actions
    }

    /// The backend link could not be opened, or closed on its own.
    public mutating func backendFailed(_ why: String) -> [SessionAction] {
        backendLinkOpen = false
        // The backend answered QUIT and closed, as it should, while replies to earlier commands
        // are still owed (a tarpitted refusal): not a failure. They go out in order, the 221
        // last, and the session ends there.
        if isReadingCommands || isReceivingMessage, !pending.contains(where: \.isAwaitingBackend),
           pending.contains(where: { $0.answering == .quit }) {
            return []
        }
        return failBackend(why)
    }

    /// The backend cannot go on (gone, silent, or out of step): `421 4.3.0` before the session
    /// started, `451 4.3.0` after, and close. A link that is still open is closed too, so a
    /// transaction in progress there never completes.
    mutating func failBackend(_ why: String) -> [SessionAction] {
        var actions: [SessionAction] = []
        switch phase {
        case .closed:
            return []
        case .awaitingGreeting:
            actions.append(.log(record(.connect, .tempfail, code: 421, enhanced: "4.3.0", reason: .backendUnavailable, detail: why)))
            actions.append(.sendToClient(LocalReply.serviceUnavailable(settings.hostname).wireBytes))
        case .commands, .saslResponse, .onlyQuit, .message:
            actions.append(.log(record(.error, .tempfail, code: 451, enhanced: "4.3.0", reason: .backendUnavailable, detail: why)))
            actions.append(.sendToClient(LocalReply.backendLost(settings.hostname).wireBytes))
        case .tlsHandshake:
            // Nothing can be written in the middle of a handshake: log and close.
            actions.append(.log(record(.error, .tempfail, reason: .backendUnavailable, detail: why)))
        }
        actions += close(reason: .backendUnavailable)
        return actions
    }

    /// Bytes from the backend: replies to forwarded commands, in order.
    public mutating func receivedFromBackend(_ bytes: [UInt8]) -> [SessionAction] {
        guard !isClosed else { return [] }
        backendReplies.append(bytes)
        var actions: [SessionAction] = []
        while !isClosed {
            let parsed: ParsedReply?
            do {
                parsed = try backendReplies.nextReply()
            } catch {
                return actions + failBackend("backend sent a malformed reply: \(error)")
            }
            guard let parsed else { break }
            actions += handleBackendReply(parsed.reply)
        }
        return actions
    }

    /// Bytes from the client (not a message's: those go through `receivedMessageBytes`).
    public mutating func receivedFromClient(_ bytes: [UInt8]) -> [SessionAction] {
        guard !isClosed else { return [] }
        var actions: [SessionAction] = []
        if isReceivingMessage {
            return bytes.withUnsafeBytes { raw in
                let (forward, actions) = receivedMessageBytes(raw)
                return forward > 0 ? [.sendToBackend(Array(bytes[0..<forward]))] + actions : actions
            }
        }
        if case .awaitingGreeting = phase, !bytes.isEmpty, framer.bufferedByteCount == 0 {
            actions += noteEarlyTalker(bytes)
        }
        framer.append(bytes)
        return actions + pump()
    }

    /// Bytes before relayguard's greeting: an early talker (`pregreet_action`). Only the
    /// first bytes are noted (later ones join them in the framer unread).
    mutating func noteEarlyTalker(_ bytes: [UInt8]) -> [SessionAction] {
        switch settings.pregreetAction {
        case .ignore:
            return []
        case .log:
            break
        case .reject:
            standing.isEarlyTalker = true
        }
        let start = bytes.prefix(32).map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." }
        let decision: Decision = settings.pregreetAction == .reject ? .reject : .accept
        return [.log(record(.connect, decision, reason: .pregreet, detail: "sent before the greeting: \(String(start))"))]
    }

    /// The driver's next loop turn after `.resumeNextTurn`: take more of the input.
    public mutating func resume() -> [SessionAction] {
        guard !isClosed else { return [] }
        return pump()
    }

    /// The client closed its side.
    ///
    /// A client that half-closes after its last commands (QUIT, then EOF or TLS close_notify in
    /// the same read) still gets the replies to what it sent; the session ends when they are
    /// written. In the middle of a message, or with nothing owed, it ends at once.
    public mutating func clientClosed() -> [SessionAction] {
        guard !isClosed else { return [] }
        if isReadingCommands && (!pending.isEmpty || framer.bufferedByteCount > 0) {
            clientInputEnded = true
            return pump()
        }
        return close(reason: .clientClosed)
    }

    /// The driver's write queue to the client passed its high-water mark (true) or drained
    /// (false). Why: each command taken queues another reply; a client that pipelines without
    /// reading would otherwise make relayguard buffer replies without bound.
    public mutating func clientOutputBacklog(_ backlogged: Bool) -> [SessionAction] {
        guard !isClosed else { return [] }
        clientOutputBacklogged = backlogged
        return backlogged ? [] : pump()
    }

    /// The DNSBL lookup started at connect has its result (relayguard.conf(5), RELAY DECISION rule 5; dnsbl_action).
    public mutating func dnsblResolved(_ result: DNSBLResult) -> [SessionAction] {
        guard !isClosed, dnsbl.isPending else { return [] }
        dnsbl = .resolved(result)
        var actions: [SessionAction] = []
        if result.score.score != 0 || result.reason != nil {
            let refuses = result.isListed && settings.dnsblAction != .log
            var entry = record(.dnsbl, refuses ? .reject : .accept, reason: result.reason ?? .accepted)
            entry.dnsblScore = result.score.score
            entry.dnsblHits = result.score.hits
            let unanswered = result.timedOutZones.map { "\($0) timed out" } + result.failedZones.map { "\($0) failed" }
            if !unanswered.isEmpty { entry.detail = LogText(unanswered.joined(separator: ", ")) }
            actions.append(.log(entry))
        }
        switch settings.dnsblAction {
        case .reject:
            standing.dnsblListing = result.listing(for: .reject)
        case .log:
            break
        case .rejectAtConnect:
            if result.isListed { return actions + rejectAtConnect(result) }
        }
        if case .awaitingGreeting(.heldForDNSBL(let greeting)) = phase {
            return actions + openSession(greeting: greeting)
        }
        return actions + pump()
    }

    /// `dnsbl_action = reject-at-connect` and the client is listed: a 554 greeting, the
    /// backend link closed unused, and only QUIT left to the client (RFC 5321 section 3.1).
    mutating func rejectAtConnect(_ result: DNSBLResult) -> [SessionAction] {
        let reply = RelayReplies.dnsblListed(zones: result.score.listingZones)
        var entry = record(.connect, reply: reply, reason: .dnsblListed)
        entry.dnsblScore = result.score.score
        entry.dnsblHits = result.score.hits
        var actions: [SessionAction] = [.log(entry), .cancelTimer(.backendReply)]
        if backendLinkOpen {
            backendLinkOpen = false
            actions.append(.closeBackend)
        }
        phase = .onlyQuit
        actions.append(.sendToClient(Reply(554, "5.7.1", "\(settings.hostname) \(reply.text)").wireBytes))
        actions.append(.setTimer(.clientDeadline, settings.commandTimeout))
        return actions + pump()
    }

    /// The TLS handshake that followed `.startTLS` completed. All SMTP state was forgotten at
    /// STARTTLS: the client must EHLO again.
    public mutating func tlsEstablished(protocolName: String, cipher: String) -> [SessionAction] {
        guard case .tlsHandshake = phase else { return [] }
        dialogue.inTLS = true
        phase = .commands
        var actions: [SessionAction] = [
            .log(record(.tls, .accept, reason: .accepted, detail: "\(protocolName) \(cipher)")),
            .setTimer(.clientDeadline, settings.commandTimeout),
        ]
        actions += pump()
        return actions
    }

    /// The TLS handshake failed: log it with the client address and close.
    public mutating func tlsFailed(_ why: String) -> [SessionAction] {
        guard !isClosed else { return [] }
        var actions: [SessionAction] = [.log(record(.tls, .drop, reason: .tlsFailed, detail: why))]
        actions += close(reason: .tlsFailed)
        return actions
    }

    /// The client's refusals across sessions reached `client_refusal_limit` (the driver was
    /// told by `.countRefusal`): the refusal just booked becomes the `421` that ends the
    /// session, and the client is blocked like a per-session harvester.
    public mutating func clientRefusalLimitReached() -> [SessionAction] {
        guard !isClosed else { return [] }
        let reply = RelayReplies.tooManyInvalidRecipients
        var actions: [SessionAction] = [.log(record(.rcpt, reply: reply, reason: .tooManyInvalidRecipients,
                                                    detail: "client refusal limit reached"))]
        if let last = pending.indices.last, pending[last].endsSession == nil, case .local = pending[last].source {
            pending[last].source = .local(reply)
            pending[last].tarpit = .zero
            pending[last].endsSession = .tooManyInvalidRecipients
        } else {
            pending.append(.local(reply, endsSession: .tooManyInvalidRecipients))
        }
        actions.append(.blockClient)
        return actions + pump()
    }

    /// A timer the session asked for expired.
    public mutating func timerFired(_ timer: SessionTimer) -> [SessionAction] {
        guard !isClosed else { return [] }
        switch timer {
        case .tarpit:
            tarpit = .released
            // pump, not only flush: input held behind the tarpitted reply may be read now.
            return pump()
        case .clientDeadline:
            // The client is waiting for us (a tarpit, a slow backend): that is not its delay.
            if !pending.isEmpty {
                return [.setTimer(.clientDeadline, isReceivingMessage ? settings.dataTimeout : settings.commandTimeout)]
            }
            var actions: [SessionAction] = [.sendToClient(LocalReply.timeout(settings.hostname).wireBytes)]
            actions += close(reason: .timeout)
            return actions
        case .backendReply:
            return failBackend("backend did not answer in time")
        }
    }

    /// relayguard is stopping (SIGTERM): a session between transactions gets `421 4.3.2` at
    /// once; one inside a transaction may finish it (its message, RSET or QUIT) and gets the
    /// 421 as soon as it is between transactions again. `shutdown()` ends what is left when
    /// `shutdown_grace` runs out.
    public mutating func stopRequested() -> [SessionAction] {
        guard !isClosed else { return [] }
        stopping = true
        return pump()
    }

    /// Between transactions: nothing is open or opening, no message is being read, and no
    /// reply is owed.
    var isBetweenTransactions: Bool {
        guard pending.isEmpty, dialogue.transaction == .none else { return false }
        switch phase {
        case .awaitingGreeting, .commands, .saslResponse, .onlyQuit: return true
        case .message, .tlsHandshake, .closed: return false
        }
    }

    /// The server is shutting down (SIGTERM after the drain period): 421 and close.
    public mutating func shutdown() -> [SessionAction] {
        guard !isClosed else { return [] }
        var actions: [SessionAction] = [.sendToClient(LocalReply.shuttingDown(settings.hostname).wireBytes)]
        actions += close(reason: .shutdown)
        return actions
    }

    // MARK: Closing

    /// Ends the session: log the disconnect (with what ended it; none for a QUIT), close the
    /// backend link and the client. `abusive`: ended for abuse (a limit, not SMTP): a client
    /// that does not read its replies is then reset rather than waited for.
    mutating func close(reason: Reason?, abusive: Bool = false) -> [SessionAction] {
        guard !isClosed else { return [] }
        phase = .closed
        pending.removeAll()
        var actions: [SessionAction] = SessionTimer.allCases.map { .cancelTimer($0) }
        actions.append(.log(record(.disconnect, nil, reason: reason)))
        if backendLinkOpen { actions.append(.closeBackend) }
        backendLinkOpen = false
        actions.append(.closeClient(abusive: abusive))
        return actions
    }
}

/// Where the client and relayguard's listener are: the identity header carries both.
public struct SessionPeer: Sendable, Equatable {
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16

    public init(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
    }
}
