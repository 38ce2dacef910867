import DecisionLog
import RelayPolicy
import SMTPProtocol

/// The reply queue: backend replies matched to forwarded commands, replies written in
/// command order, tarpit delays, and the pump that reads more input when it may.
extension SessionMachine {
    /// Writes every owed reply that can be written now, then reads more client input while
    /// nothing holds it. The one loop every event ends in.
    ///
    /// Fairness: at most `maxCommandsPerTurn` lines are taken per call; the rest waits for the
    /// driver's next loop turn (`.resumeNextTurn`), so one client's flood never holds the loop.
    mutating func pump() -> [SessionAction] {
        var actions: [SessionAction] = []
        var taken = 0
        reading: while !isClosed {
            actions += flushReplies()
            guard isReadingCommands, mayReadNextCommand else { break }
            // Not SMTP where a command belongs (docs/ARCHITECTURE.md, protocol safety): a PROXY signature (v1 or v2) or
            // a TLS handshake record, anywhere in the session, before it can frame as lines.
            // (The tail of an overlong line is thrown away, not classified.)
            switch framer.isDiscardingOverlongLine ? .smtp : ClientPreamble.classify(framer.bufferedPrefix(ClientPreamble.maximumPrefixLength)) {
            case .needMoreBytes where framer.bufferedByteCount > 2 || linesTaken == 0:
                // The start of a PROXY signature: wait for the rest. The session's first bytes
                // are held however they are cut; later, an empty line alone (`\r\n`) is
                // answered as one, or a client that sent it would wait for ever.
                break reading
            case .needMoreBytes:
                guard framer.bufferedByteCount > 0 else { break reading }
            case .proxyV1, .proxyV2:
                actions += refuseNonSMTP(.clientProxyHeader)
                continue
            case .tlsHandshake:
                actions += refuseNonSMTP(.nonSMTPCommand)
                continue
            case .smtp:
                break
            }
            // A MAIL still unanswered: a command that depends on the answer (MAIL, STARTTLS,
            // AUTH) waits for it, so the session never runs ahead of the backend.
            if dialogue.transaction.isPending, let verb = nextVerb(), !verb.rules.inTransaction { break }
            if taken == settings.maxCommandsPerTurn {
                if framer.bufferedByteCount > 0 { actions.append(.resumeNextTurn) }
                break
            }
            guard let event = framer.nextEvent() else { break }
            taken += 1
            linesTaken += 1
            actions += handle(event)
        }
        // The deadline for the next command starts once this one is complete: bytes of a line
        // still arriving do not extend it.
        if taken > 0 && isReadingCommands {
            actions.append(.setTimer(.clientDeadline, settings.commandTimeout))
        }
        // The client has gone: once everything it sent is answered, the session ends, whatever
        // the last reply began (a message after 354, a handshake after STARTTLS's 220: the
        // client can send neither).
        if clientInputEnded && !isClosed && pending.isEmpty {
            actions += close(reason: .clientClosed)
        }
        // Stopping: the transaction (if any) is over, so is the session.
        if stopping && !isClosed && isBetweenTransactions {
            actions += shutdown()
        }
        return actions
    }

    /// Whether the queue lets another command be read: nothing ends the session or the group,
    /// the client reads its replies, the DNSBL result is in when a RCPT may need it, and no
    /// more than `maxPipelinedCommands` replies are owed.
    var mayReadNextCommand: Bool {
        // A reply that will end the session is owed: nothing after it is read (BDAT chunk
        // bytes, commands pipelined past a limit).
        if pending.contains(where: { $0.endsSession != nil || $0.endsGroup }) { return false }
        if clientOutputBacklogged { return false }
        // dnsbl_action = reject: after MAIL, wait for the lookup started at connect, so the
        // first RCPT is decided with the listing known (usually it already is).
        if dnsbl.isPending && settings.dnsblAction == .reject && dialogue.transaction != .none { return false }
        return pending.count < settings.maxPipelinedCommands
    }

    /// The verb of the next buffered line, when enough of it has arrived to tell.
    func nextVerb() -> CommandVerb? {
        let prefix = framer.bufferedPrefix(9)
        guard let end = prefix.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == 13 }) else { return nil }
        return CommandVerb(asciiBytes: prefix[..<end])
    }

    /// Writes owed replies from the front of the queue until one is not ready.
    mutating func flushReplies() -> [SessionAction] {
        var actions: [SessionAction] = []
        while !isClosed, let head = pending.first {
            let reply: Reply
            switch head.source {
            case .awaitingBackend: return actions
            case .local(let written), .backend(let written): reply = written
            }
            if head.tarpit > .zero {
                switch tarpit {
                case .idle:
                    tarpit = .running
                    actions.append(.setTimer(.tarpit, head.tarpit))
                    return actions
                case .running:
                    return actions
                case .released:
                    break
                }
            }
            tarpit = .idle
            pending.removeFirst()
            // The backend's answer to the RSET relayguard sent after STARTTLS is nobody's business.
            if head.answering == .internalReset { continue }
            actions.append(.sendToClient(reply.wireBytes))
            if let reason = head.endsSession {
                return actions + close(reason: reason, abusive: head.abusive)
            }
            switch head.answering {
            case .quit:
                return actions + close(reason: nil)
            case .data where reply.code == 354:
                actions += beginMessage()
            case .startTLS:
                actions += beginTLS()
            case .auth where reply.code == 334:
                phase = .saslResponse
            case .helo, .mail, .recipient, .data, .endOfMessage, .reset, .noop, .local, .auth, .saslCancel, .internalReset:
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
        case .awaitingGreeting(let stage):
            return handleBackendGreeting(reply, stage: stage)
        case .commands, .saslResponse, .onlyQuit, .message, .tlsHandshake:
            break
        }
        guard let index = pending.firstIndex(where: \.isAwaitingBackend) else {
            // Unsolicited: Postfix says 421 when it times out or shuts down.
            var actions: [SessionAction] = [.log(record(.error, reply: reply, reason: .backend))]
            if reply.code == 421 {
                actions.append(.sendToClient(LocalReply.serviceUnavailable(settings.hostname).wireBytes))
                return actions + close(reason: .backend)
            }
            return actions + failBackend("backend sent a reply nobody asked for: \(reply.code)")
        }
        var owed = pending[index]
        var actions = resolve(&owed, with: reply)
        pending[index] = owed
        if pending.contains(where: \.isAwaitingBackend) {
            actions.append(.setTimer(.backendReply, settings.commandTimeout))
        } else {
            actions.append(.cancelTimer(.backendReply))
        }
        return actions + pump()
    }

    /// The backend's 220 (after the identity header, or after XCLIENT) opens the session;
    /// anything else fails closed with 421 (docs/ARCHITECTURE.md, protocol safety).
    mutating func handleBackendGreeting(_ reply: Reply, stage: GreetingStage) -> [SessionAction] {
        if case .heldForDNSBL = stage {
            return failBackend("backend sent a reply nobody asked for: \(reply.code)")
        }
        guard reply.code == 220 else {
            var actions: [SessionAction] = [
                .log(record(.connect, .tempfail, code: 421, enhanced: "4.3.0", reason: .backendUnavailable,
                            detail: "backend greeted with \(reply.code) \(reply.text)")),
                .sendToClient(LocalReply.serviceUnavailable(settings.hostname).wireBytes),
            ]
            actions += close(reason: .backendUnavailable)
            return actions
        }
        if case .banner = stage, settings.identity == .xclient {
            phase = .awaitingGreeting(.xclientBanner)
            return [.sendToBackend(ClientIdentityHeader.xclientCommand(client: peer.client, clientPort: peer.clientPort)),
                    .setTimer(.backendReply, settings.commandTimeout)]
        }
        if dnsbl.isPending && settings.dnsblAction == .rejectAtConnect {
            // The greeting waits for the DNSBL result: a listed client gets 554 instead.
            phase = .awaitingGreeting(.heldForDNSBL(reply))
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
            .setTimer(.clientDeadline, settings.commandTimeout),
        ]
        actions += pump()
        return actions
    }

    /// Records the backend's verdict on a forwarded command, applies what it changes, and
    /// decides how the reply is written (filtered, tarpitted, or replaced by a limit).
    mutating func resolve(_ owed: inout PendingReply, with reply: Reply) -> [SessionAction] {
        owed.source = .backend(reply)
        var actions: [SessionAction] = []
        let verdictReason: Reason = reply.isPositive || reply.isIntermediate ? .accepted : .backend
        switch owed.answering {
        case .helo(let extended, let name):
            if extended && reply.code == 250 {
                owed.source = .backend(EHLOFilter(offerSTARTTLS: settings.offerSTARTTLS && !dialogue.inTLS,
                                                  offerAUTH: dialogue.inTLS).filter(reply, hostname: nil))
            }
            if reply.isPositive {
                dialogue.helo = name
                dialogue.transaction = .none
            }
            var entry = record(.helo, reply: reply, reason: verdictReason)
            entry.helo = LogText(name)
            actions.append(.log(entry))
        case .mail(let sender):
            // The transaction opens on the backend's 2xx, not when MAIL was sent (docs/ARCHITECTURE.md, protocol safety).
            if case .mailPending(let envelope) = dialogue.transaction, envelope.sender == sender {
                dialogue.transaction = reply.isPositive ? .open(envelope) : .none
            }
            var entry = record(.mail, reply: reply, reason: verdictReason)
            entry.from = LogText(sender)
            actions.append(.log(entry))
        case .recipient(let address, let reason):
            if reply.isPositive {
                actions.append(.log(recipientRecord(address, reply: reply, reason: reason)))
            } else if reply.code == 503 {
                // "need MAIL command": a sequence error, counted as one, not a probed address.
                actions += bookRefusedRecipient(.backendSequenceError, reply: reply, address: address, owed: &owed, appending: false)
            } else if reply.isPermanentFailure {
                // One text for every unknown user, whatever table the backend looked in ("in
                // virtual mailbox table" tells a harvester how the site is built), and whichever
                // MTA said it: Postfix's 5.1.1 or Exim's bare "550 Unrouteable address".
                let unknownUser = Self.isUnknownUser(reply)
                let written = unknownUser ? RelayReplies.unknownUser(address) : reply
                owed.source = .backend(written)
                actions += bookRefusedRecipient(unknownUser ? .unknownRecipient : .backendRefused, reply: written,
                                                address: address, owed: &owed, appending: false, backendReply: reply)
            } else {
                actions.append(.log(recipientRecord(address, reply: reply, reason: .backend)))
            }
        case .data:
            actions.append(.log(record(.data, reply: reply, reason: verdictReason)))
        case .endOfMessage(let bytes):
            var entry = record(.message, reply: reply, reason: verdictReason)
            entry.from = dialogue.transaction.sender.map { LogText($0) }
            entry.bytes = bytes
            if reply.isPositive { entry.queueID = QueueID.named(in: reply) }
            actions.append(.log(entry))
            dialogue.transaction = .none
        case .reset:
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
                    owed.source = .backend(RelayReplies.tooManyErrors)
                    owed.endsSession = .tooManyErrors
                    owed.abusive = true
                    actions.append(.log(record(.auth, reply: RelayReplies.tooManyErrors, reason: .tooManyErrors)))
                } else {
                    actions.append(.log(record(.auth, reply: reply, reason: .authFailed)))
                }
            }
        case .saslCancel(let refusal):
            // The backend's reply to `*` (a 501): the client gets relayguard's refusal instead.
            owed.source = .backend(refusal)
        case .internalReset:
            break
        case .startTLS, .local:
            assertionFailure("a local reply is never awaited from the backend")
        }
        // Postfix says 421 and disconnects (too many errors, shutting down): relay it as the
        // last reply, rather than follow it with a 451 when the link drops.
        if case .backend(let written) = owed.source, written.code == 421, owed.endsSession == nil {
            owed.endsSession = .backend
        }
        return actions
    }
}

extension Duration {
    /// Whole milliseconds, for `tarpit_ms` and `duration_ms`.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
