import DecisionLog
import RelayPolicy
import SMTPProtocol

/// One client session, as a pure state machine: bytes and timer expiries in, actions out
/// (SPEC sections 4 to 6). It owns no socket and reads no clock; `SessionDriver` performs
/// its actions on the event loop.
///
/// Lockstep: relayguard keeps its own view of the SMTP state in step with the backend's.
/// A command reaches the backend only once parsed and approved, as its original bytes.
/// Replies go back in command order, whoever wrote them: `pending` is that order. Input is
/// held after a command that must be answered before anything else is read (RFC 2920's
/// last-in-group commands), so nothing after EHLO, DATA or QUIT is forwarded blind.
public struct SessionMachine {
    public let sessionID: String
    public let peer: SessionPeer
    let settings: SessionSettings
    var standing: ClientStanding

    enum Phase: Equatable {
        /// Connected to the backend; waiting for its 220 (after the identity header).
        case awaitingBackendGreeting
        /// `xclient`: the banner came, XCLIENT was sent, waiting for the fresh 220.
        case awaitingXclientGreeting
        /// Reading commands.
        case commands
        /// Reading a message after the backend's 354.
        case message
        /// After `220 Ready to start TLS`: the driver runs the handshake; nothing is read here.
        case tlsHandshake
        /// The session is over; nothing more is read or written.
        case closed
    }

    var phase: Phase = .awaitingBackendGreeting
    /// The DNSBL lookup started at connect: not asked (no lists, or a trusted client),
    /// pending, or resolved with `dnsblResult`.
    var dnsblPending: Bool
    var dnsblResult: DNSBLResult?
    /// `reject-at-connect`: the backend's greeting, held until the DNSBL result is known.
    var heldGreeting: Reply?
    /// The client was greeted with 554 for a DNSBL listing: only QUIT is left to it.
    var rejectedAtConnect = false
    /// The session is inside TLS terminated by relayguard.
    var inTLS = false
    /// The backend answered AUTH with 334: the next client line is a SASL response, forwarded
    /// as it is, never read as a command.
    var expectingSASLResponse = false
    var framer = LineFramer()
    var backendReplies = ReplyParser()
    var scanner = DataScanner()
    var limits: SessionLimits
    /// Replies owed to the client, in command order.
    var pending: [PendingReply] = []
    /// After a last-in-group command: read nothing more until every owed reply is written.
    var holdingInput = false
    /// The tarpit timer for the head of `pending` has been started / has fired.
    var tarpitRunning = false
    var tarpitReleased = false
    /// A MAIL was accepted by the backend and no RSET, HELO or message end closed it.
    var inTransaction = false
    /// RCPTs of this transaction forwarded to the backend: `max_recipients` counts these.
    var forwardedRecipients = 0
    /// RCPTs refused in this session, for the tarpit's n (the limits count apart).
    var refusedRecipients = 0
    var heloName: String?
    var sender: String?
    /// The message being received was refused (bare newline): consume it, forward nothing.
    var messageAborted = false
    /// A CR that ended the last message chunk and is not forwarded yet: whether it is bare
    /// (a smuggling defect) is known only from the byte after it.
    var messageHeldCR = false
    /// The client's first bytes, until they are known to be SMTP.
    var preamble: [UInt8] = []
    var preambleChecked = false
    /// The client sent EOF: answer what it sent, then close.
    var clientInputEnded = false
    /// The client is not reading its replies: no new command is taken until they have left.
    public private(set) var clientOutputBacklogged = false
    var backendLinkOpen = true

    /// `dnsblPending`: a DNSBL lookup for this client has started; `dnsblResolved` follows.
    public init(sessionID: String, peer: SessionPeer, settings: SessionSettings, standing: ClientStanding, dnsblPending: Bool = false) {
        self.dnsblPending = dnsblPending
        self.sessionID = sessionID
        self.peer = peer
        self.settings = settings
        self.standing = standing
        self.limits = SessionLimits(invalidRecipientLimit: settings.invalidRecipientLimit, errorLimit: settings.errorLimit)
    }

    /// Reading a message: the driver may hand bytes to `receivedMessageBytes` without a copy.
    public var isReceivingMessage: Bool { phase == .message }

    /// Whether the session has ended.
    public var isClosed: Bool { phase == .closed }

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
        if (phase == .commands || phase == .message), !pending.contains(where: { $0.isAwaitingBackend }),
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
        case .awaitingBackendGreeting, .awaitingXclientGreeting:
            actions.append(.log(record(.connect, .tempfail, code: 421, enhanced: "4.3.0", reason: .backendUnavailable, detail: why)))
            actions.append(.sendToClient(Reply(421, "4.3.0", "\(settings.hostname) Service not available, closing transmission channel").wireBytes))
        case .commands, .message:
            actions.append(.log(record(.error, .tempfail, code: 451, enhanced: "4.3.0", reason: .backendUnavailable, detail: why)))
            actions.append(.sendToClient(Reply(451, "4.3.0", "\(settings.hostname) Error: connection to the mail server lost, try again later").wireBytes))
        case .tlsHandshake:
            // Nothing can be written in the middle of a handshake: log and close.
            actions.append(.log(record(.error, .tempfail, reason: .backendUnavailable, detail: why)))
        }
        actions += close(reason: .backendUnavailable, closeBackendLink: true)
        return actions
    }

    /// Bytes from the backend: replies to forwarded commands, in order.
    public mutating func receivedFromBackend(_ bytes: [UInt8]) -> [SessionAction] {
        guard phase != .closed else { return [] }
        backendReplies.append(bytes)
        var actions: [SessionAction] = []
        while phase != .closed {
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

    /// Bytes from the client.
    public mutating func receivedFromClient(_ bytes: [UInt8]) -> [SessionAction] {
        guard phase != .closed else { return [] }
        var actions: [SessionAction] = []
        if phase == .message {
            actions.append(.setTimer(.clientIdle, settings.dataTimeout))
            actions += scanMessage(bytes[...], whole: bytes)
        } else if !preambleChecked {
            // The first bytes decide whether this is SMTP at all: a PROXY v2 signature starts
            // with CRLFs and a TLS ClientHello with binary, neither of which frames as a line.
            preamble += bytes
            switch ClientPreamble.classify(preamble) {
            case .needMoreBytes:
                return []
            case .proxyV1, .proxyV2:
                return refuseNonSMTP(.clientProxyHeader)
            case .tlsHandshake:
                return refuseNonSMTP(.nonSMTPCommand)
            case .smtp:
                preambleChecked = true
                framer.append(preamble)
                preamble = []
            }
        } else {
            framer.append(bytes)
        }
        if phase == .commands { actions.append(.setTimer(.clientIdle, settings.commandTimeout)) }
        actions += pump()
        return actions
    }

    /// `421 4.7.0 Not SMTP; closing`, written at once (nothing owed before it matters).
    mutating func refuseNonSMTP(_ reason: Reason) -> [SessionAction] {
        let reply = Reply(421, "4.7.0", "Not SMTP; closing")
        var actions: [SessionAction] = [.log(record(.command, reply: reply, reason: reason)), .sendToClient(reply.wireBytes)]
        actions += close(reason: reason, closeBackendLink: true)
        return actions
    }

    /// The client closed its side.
    ///
    /// A client that half-closes after its last commands (QUIT, then EOF or TLS close_notify in
    /// the same read) still gets the replies to what it sent; the session ends when they are
    /// written. In the middle of a message, or with nothing owed, it ends at once.
    public mutating func clientClosed() -> [SessionAction] {
        guard phase != .closed else { return [] }
        if phase == .commands && (!pending.isEmpty || framer.bufferedByteCount > 0) {
            clientInputEnded = true
            return pump()
        }
        return close(reason: .clientClosed, closeBackendLink: true)
    }

    /// The driver's write queue to the client passed its high-water mark (true) or drained
    /// (false). Why: each command taken queues another reply; a client that pipelines without
    /// reading would otherwise make relayguard buffer replies without bound.
    public mutating func clientOutputBacklog(_ backlogged: Bool) -> [SessionAction] {
        guard phase != .closed else { return [] }
        clientOutputBacklogged = backlogged
        return backlogged ? [] : pump()
    }

    /// The DNSBL lookup started at connect has its result (SPEC section 4 rule 5; dnsbl_action).
    public mutating func dnsblResolved(_ result: DNSBLResult) -> [SessionAction] {
        guard phase != .closed, dnsblPending else { return [] }
        dnsblPending = false
        dnsblResult = result
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
        if let greeting = heldGreeting {
            heldGreeting = nil
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
        heldGreeting = nil
        rejectedAtConnect = true
        phase = .commands
        actions.append(.sendToClient(Reply(554, "5.7.1", "\(settings.hostname) \(reply.text)").wireBytes))
        actions.append(.setTimer(.clientIdle, settings.commandTimeout))
        return actions + pump()
    }

    /// The TLS handshake that followed `.startTLS` completed. All SMTP state was forgotten at
    /// STARTTLS: the client must EHLO again.
    public mutating func tlsEstablished(protocolName: String, cipher: String) -> [SessionAction] {
        guard phase == .tlsHandshake else { return [] }
        inTLS = true
        phase = .commands
        var actions: [SessionAction] = [
            .log(record(.tls, .accept, reason: .accepted, detail: "\(protocolName) \(cipher)")),
            .setTimer(.clientIdle, settings.commandTimeout),
        ]
        actions += pump()
        return actions
    }

    /// The TLS handshake failed: log it with the client address and close.
    public mutating func tlsFailed(_ why: String) -> [SessionAction] {
        guard phase != .closed else { return [] }
        var actions: [SessionAction] = [.log(record(.tls, .drop, reason: .tlsFailed, detail: why))]
        actions += close(reason: .tlsFailed, closeBackendLink: true)
        return actions
    }

    /// A timer the session asked for expired.
    public mutating func timerFired(_ timer: SessionTimer) -> [SessionAction] {
        guard phase != .closed else { return [] }
        switch timer {
        case .tarpit:
            tarpitReleased = true
            // pump, not only flush: input held behind the tarpitted reply may be read now.
            return pump()
        case .clientIdle:
            // The client is waiting for us (a tarpit, a slow backend): that is not its idleness.
            if !pending.isEmpty {
                return [.setTimer(.clientIdle, phase == .message ? settings.dataTimeout : settings.commandTimeout)]
            }
            var actions: [SessionAction] = [
                .sendToClient(Reply(421, "4.4.2", "\(settings.hostname) Error: timeout exceeded").wireBytes),
            ]
            actions += close(reason: .timeout, closeBackendLink: true)
            return actions
        case .backendReply:
            return failBackend("backend did not answer in time")
        }
    }

    /// The server is shutting down (SIGTERM after the drain period): 421 and close.
    public mutating func shutdown() -> [SessionAction] {
        guard phase != .closed else { return [] }
        var actions: [SessionAction] = [
            .sendToClient(Reply(421, "4.3.2", "\(settings.hostname) Service shutting down, closing transmission channel").wireBytes),
        ]
        actions += close(reason: .shutdown, closeBackendLink: true)
        return actions
    }

    // MARK: Closing

    /// Ends the session: log the disconnect (with what ended it; none for a QUIT),
    /// close the backend link and the client.
    mutating func close(reason: Reason?, closeBackendLink: Bool) -> [SessionAction] {
        guard phase != .closed else { return [] }
        phase = .closed
        pending.removeAll()
        var actions: [SessionAction] = SessionTimer.allCases.map { .cancelTimer($0) }
        actions.append(.log(record(.disconnect, nil, reason: reason)))
        if closeBackendLink && backendLinkOpen { actions.append(.closeBackend) }
        backendLinkOpen = false
        actions.append(.closeClient)
        return actions
    }

    // MARK: Records

    /// Builds one decision record; every record of the session is built here.
    func record(_ event: Event, _ decision: Decision?, code: Int? = nil, enhanced: String? = nil, reason: Reason? = nil,
                detail: String? = nil) -> DecisionRecord {
        var entry = DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: event)
        entry.session = sessionID
        entry.client = peer.client.description
        entry.decision = decision
        entry.code = code
        entry.enhanced = enhanced
        entry.reason = reason
        if let detail { entry.detail = LogText(detail) }
        return entry
    }

    func record(_ event: Event, reply: Reply, reason: Reason) -> DecisionRecord {
        record(event, Self.decision(for: reply), code: reply.code, enhanced: reply.enhanced, reason: reason)
    }

    static func decision(for reply: Reply) -> Decision {
        if reply.code == 421 { return .drop }
        if reply.isPermanentFailure { return .reject }
        if reply.isTransientFailure { return .tempfail }
        return .accept
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
