import DecisionLog
import RelayPolicy
import SMTPProtocol

/// The reply queue: backend replies matched to forwarded commands, replies written in
/// command order, tarpit delays, and the pump that reads more input when it may.
extension SessionMachine {
    /// Writes every owed reply that can be written now, then reads more client input while
    /// nothing holds it. The one loop every event ends in.
    mutating func pump() -> [SessionAction] {
        var actions: [SessionAction] = []
        while phase != .closed {
            actions += flushReplies()
            guard phase == .commands else { break }
            // A reply that will end the session is owed: nothing after it is read (BDAT chunk
            // bytes, commands pipelined past a limit).
            if pending.contains(where: { $0.endsSession != nil }) { break }
            if holdingInput {
                guard pending.isEmpty else { break }
                holdingInput = false
            }
            if clientOutputBacklogged { break }
            // dnsbl_action = reject: after MAIL, wait for the lookup started at connect, so the
            // first RCPT is decided with the listing known (usually it already is).
            if dnsblPending && settings.dnsblAction == .reject && sender != nil { break }
            guard pending.count < settings.maxPipelinedCommands else { break }
            // A TLS handshake record where a command belongs (SPEC section 6): not SMTP, whether
            // or not it holds a CRLF, and before its length can make it "a line too long".
            if framer.bufferedBytesStart(with: [0x16, 0x03]) {
                actions += refuseNonSMTP(.nonSMTPCommand)
                break
            }
            guard let event = framer.nextEvent() else { break }
            actions += expectingSASLResponse ? forwardSASLResponse(event) : handle(event)
        }
        // The client has gone: once everything it sent is answered, the session ends.
        if clientInputEnded && phase == .commands && pending.isEmpty {
            actions += close(reason: .clientClosed, closeBackendLink: true)
        }
        return actions
    }

    /// Writes owed replies from the front of the queue until one is not ready.
    mutating func flushReplies() -> [SessionAction] {
        var actions: [SessionAction] = []
        while phase != .closed, let head = pending.first {
            let reply: Reply
            switch head.source {
            case .awaitingBackend: return actions
            case .local(let written), .backend(let written): reply = written
            }
            if head.tarpit > .zero && !tarpitReleased {
                if !tarpitRunning {
                    tarpitRunning = true
                    actions.append(.setTimer(.tarpit, head.tarpit))
                }
                return actions
            }
            tarpitRunning = false
            tarpitReleased = false
            pending.removeFirst()
            // The backend's answer to the RSET relayguard sent after STARTTLS is nobody's business.
            if head.answering == .internalReset { continue }
            actions.append(.sendToClient(reply.wireBytes))
            if head.blocksClient { actions.append(.blockClient) }
            if let reason = head.endsSession {
                return actions + close(reason: reason, closeBackendLink: true)
            }
            switch head.answering {
            case .quit:
                return actions + close(reason: nil, closeBackendLink: true)
            case .data where reply.code == 354:
                actions += beginMessage()
            case .startTLS:
                actions += beginTLS()
            case .auth where reply.code == 334:
                expectingSASLResponse = true
            case .helo, .mail, .recipient, .data, .endOfMessage, .reset, .noop, .local, .auth, .internalReset:
                break
            }
        }
        return actions
    }

    /// A reply from the backend: the greeting, or the answer to the oldest forwarded command.
    mutating func handleBackendReply(_ reply: Reply) -> [SessionAction] {
        switch phase {
        case .closed:
            return []
        case .awaitingBackendGreeting, .awaitingXclientGreeting:
            return handleBackendGreeting(reply)
        case .commands, .message, .tlsHandshake:
            break
        }
        guard let index = pending.firstIndex(where: { $0.isAwaitingBackend }) else {
            // Unsolicited: Postfix says 421 when it times out or shuts down.
            var actions: [SessionAction] = [.log(record(.error, reply: reply, reason: .backend))]
            if reply.code == 421 {
                actions.append(.sendToClient(Reply(421, "4.3.0", "\(settings.hostname) Service not available, closing transmission channel").wireBytes))
                return actions + close(reason: .backend, closeBackendLink: true)
            }
            return actions + failBackend("backend sent a reply nobody asked for: \(reply.code)")
        }
        var owed = pending[index]
        var actions = resolve(&owed, with: reply)
        pending[index] = owed
        if pending.contains(where: { $0.isAwaitingBackend }) {
            actions.append(.setTimer(.backendReply, settings.commandTimeout))
        } else {
            actions.append(.cancelTimer(.backendReply))
        }
        return actions + pump()
    }

    /// The backend's 220 (after the identity header, or after XCLIENT) opens the session;
    /// anything else fails closed with 421 (SPEC section 6).
    mutating func handleBackendGreeting(_ reply: Reply) -> [SessionAction] {
        guard reply.code == 220 else {
            var actions: [SessionAction] = [
                .log(record(.connect, .tempfail, code: 421, enhanced: "4.3.0", reason: .backendUnavailable,
                            detail: "backend greeted with \(reply.code) \(reply.text)")),
                .sendToClient(Reply(421, "4.3.0", "\(settings.hostname) Service not available, closing transmission channel").wireBytes),
            ]
            actions += close(reason: .backendUnavailable, closeBackendLink: true)
            return actions
        }
        if phase == .awaitingBackendGreeting && settings.identity == .xclient {
            phase = .awaitingXclientGreeting
            return [.sendToBackend(ClientIdentityHeader.xclientCommand(client: peer.client, clientPort: peer.clientPort)),
                    .setTimer(.backendReply, settings.commandTimeout)]
        }
        if dnsblPending && settings.dnsblAction == .rejectAtConnect {
            // The greeting waits for the DNSBL result: a listed client gets 554 instead.
            heldGreeting = reply
            return [.cancelTimer(.backendReply)]
        }
        return openSession(greeting: reply)
    }

    /// Relays the backend's greeting: the session begins.
    mutating func openSession(greeting reply: Reply) -> [SessionAction] {
        phase = .commands
        var actions: [SessionAction] = [
            .cancelTimer(.backendReply),
            .log(record(.connect, .accept, code: 220, reason: .accepted)),
            .sendToClient(reply.wireBytes),
            .setTimer(.clientIdle, settings.commandTimeout),
        ]
        actions += pump()
        return actions
    }

    /// Records the backend's verdict on a forwarded command, applies what it changes, and
    /// decides how the reply is written (filtered, tarpitted, or replaced by a limit).
    mutating func resolve(_ owed: inout PendingReply, with reply: Reply) -> [SessionAction] {
        var written = reply
        var actions: [SessionAction] = []
        let verdictReason: Reason = reply.isPositive || reply.isIntermediate ? .accepted : .backend
        switch owed.answering {
        case .helo(let extended, let name):
            if extended && reply.code == 250 {
                written = EHLOFilter(offerSTARTTLS: settings.offerSTARTTLS && !inTLS, offerAUTH: inTLS).filter(reply, hostname: nil)
            }
            if reply.isPositive {
                heloName = name
                endTransaction()
                forwardedRecipients = 0
            }
            var entry = record(.helo, reply: reply, reason: verdictReason)
            entry.helo = LogText(name)
            actions.append(.log(entry))
        case .mail(let sender):
            if reply.isPositive {
                inTransaction = true
                self.sender = sender
            }
            var entry = record(.mail, reply: reply, reason: verdictReason)
            entry.from = LogText(sender)
            actions.append(.log(entry))
        case .recipient(let address, let reason):
            var entry = record(.rcpt, reply: reply, reason: reply.isPositive ? reason : .backend)
            entry.from = sender.map { LogText($0) }
            entry.rcpt = LogText(address)
            if reply.isPermanentFailure && reply.enhanced == "5.1.1" {
                // SPEC section 5: one text for every unknown user, whatever table the backend
                // looked in ("in virtual mailbox table" tells a harvester how the site is built).
                written = RelayReplies.unknownUser(address)
            }
            if reply.code == 503 {
                // "need MAIL command": a sequence error, counted as one, not a probed address.
                if !standing.mayRelay, case .limitReached = limits.recordError() {
                    written = RelayReplies.tooManyErrors
                    owed.endsSession = .tooManyErrors
                    entry = record(.rcpt, reply: written, reason: .tooManyErrors)
                    entry.rcpt = LogText(address)
                }
            } else if reply.isPermanentFailure && !standing.mayRelay {
                // SPEC section 5: the backend's 5xx counts exactly like a map miss.
                switch limits.recordInvalidRecipient() {
                case .proceed:
                    owed.tarpit = nextTarpitDelay()
                    if owed.tarpit > .zero { entry.tarpitMs = Int(owed.tarpit.milliseconds) }
                case .limitReached:
                    written = RelayReplies.tooManyInvalidRecipients
                    owed.endsSession = .tooManyInvalidRecipients
                    owed.blocksClient = true
                    entry = record(.rcpt, reply: written, reason: .tooManyInvalidRecipients)
                    entry.from = sender.map { LogText($0) }
                    entry.rcpt = LogText(address)
                }
            }
            actions.append(.log(entry))
        case .data:
            actions.append(.log(record(.data, reply: reply, reason: verdictReason)))
        case .endOfMessage:
            var entry = record(.message, reply: reply, reason: verdictReason)
            entry.from = sender.map { LogText($0) }
            entry.bytes = scanner.messageBytes
            actions.append(.log(entry))
            endTransaction()
            forwardedRecipients = 0
        case .reset:
            if reply.isPositive { endTransaction() }
            actions.append(.log(commandRecord("RSET", reply: reply, reason: verdictReason)))
        case .noop:
            break
        case .quit:
            actions.append(.log(commandRecord("QUIT", reply: reply, reason: verdictReason)))
        case .auth:
            switch reply.code {
            case 334:
                break  // a challenge: relayed; the next client line is the response
            case 235:
                standing.isAuthenticated = true
                actions.append(.log(record(.auth, reply: reply, reason: .authenticated)))
            default:
                if reply.isPermanentFailure || reply.isTransientFailure, case .limitReached = limits.recordError() {
                    written = RelayReplies.tooManyErrors
                    owed.endsSession = .tooManyErrors
                    actions.append(.log(record(.auth, reply: written, reason: .tooManyErrors)))
                } else {
                    actions.append(.log(record(.auth, reply: reply, reason: .authFailed)))
                }
            }
        case .internalReset:
            break
        case .startTLS, .local:
            assertionFailure("a local reply is never awaited from the backend")
        }
        // Postfix says 421 and disconnects (too many errors, shutting down): relay it as the
        // last reply, rather than follow it with a 451 when the link drops.
        if written.code == 421 && owed.endsSession == nil { owed.endsSession = .backend }
        owed.source = .backend(written)
        return actions
    }

    /// The backend closed the transaction. The `max_recipients` count is reset by the callers
    /// that know no later RCPT was read meanwhile: not an RSET reply, which may come after
    /// RCPTs pipelined behind it (the RSET command itself reset the count).
    /// The delay for the next refused RCPT: the n-th refused RCPT of the session, whatever
    /// refused it (relayguard's rules, a syntax error, the backend), waits
    /// min(n × tarpit_delay, tarpit_max_delay) (SPEC section 3). Survives RSET.
    mutating func nextTarpitDelay() -> Duration {
        refusedRecipients += 1
        return settings.tarpit.delay(forRejection: refusedRecipients)
    }

    mutating func endTransaction() {
        inTransaction = false
        sender = nil
    }

    func commandRecord(_ verb: String, reply: Reply, reason: Reason) -> DecisionRecord {
        var entry = record(.command, reply: reply, reason: reason)
        entry.detail = LogText(verb)
        return entry
    }
}

extension Duration {
    /// Whole milliseconds, for `tarpit_ms` and `duration_ms`.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
