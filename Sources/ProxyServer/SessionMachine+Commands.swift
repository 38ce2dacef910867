import DecisionLog
import RelayPolicy
import SMTPProtocol

/// Client commands: the allowlist of SPEC section 6 and the relay decision of section 4.
extension SessionMachine {
    /// One event from the line framer.
    mutating func handle(_ event: FramerEvent) -> [SessionAction] {
        switch event {
        case .lineTooLong:
            return protocolError(Reply(500, "5.5.2", "Error: line too long"), reason: .lineTooLong)
        case .malformedLine(let defect, _):
            switch defect {
            case .bareCR, .bareLF:
                return protocolError(Reply(500, "5.5.2", "Error: bare CR or LF in command"), reason: .bareNewline)
            case .nul:
                return protocolError(Reply(500, "5.5.2", "Error: NUL in command"), reason: .badSyntax)
            }
        case .line(let line):
            switch CommandParser.parse(line) {
            case .failure(let error):
                if case .badRecipientPath(let pathError) = error {
                    return decideRecipient(.failure(pathError), line: line)
                }
                return protocolError(error.reply, reason: .badSyntax)
            case .success(let command):
                return handle(command, line: line)
            }
        }
    }

    /// One parsed command, with its original bytes.
    mutating func handle(_ command: Command, line: [UInt8]) -> [SessionAction] {
        if rejectedAtConnect { return answerAfterRejection(command) }
        switch command {
        case .helo(let name):
            return forward(line, answering: .helo(extended: false, name: name), lastInGroup: true)
        case .ehlo(let name):
            return forward(line, answering: .helo(extended: true, name: name), lastInGroup: true)
        case .mail(let mail):
            // SPEC section 6: after the TLS handshake all state is gone; MAIL needs EHLO first.
            if inTLS && heloName == nil {
                return protocolError(Reply(503, "5.5.1", "Error: send HELO/EHLO first"), reason: .badSequence, verb: "MAIL")
            }
            // A new transaction only when none is open or opening: a MAIL the backend refuses
            // as nested must not reset the `max_recipients` count of the open one.
            if !inTransaction && !pending.contains(where: \.isAwaitingMail) { forwardedRecipients = 0 }
            // Known now, for the records of RCPTs refused before the backend's reply to MAIL.
            sender = Self.senderText(mail.reversePath)
            return forward(line, answering: .mail(sender: Self.senderText(mail.reversePath)), lastInGroup: false)
        case .rcpt(let recipient):
            return decideRecipient(.success(recipient.forwardPath), line: line)
        case .data:
            return forward(line, answering: .data, lastInGroup: true)
        case .rset:
            forwardedRecipients = 0
            return forward(line, answering: .reset, lastInGroup: false)
        case .noop:
            return forward(line, answering: .noop, lastInGroup: true)
        case .quit:
            return forward(line, answering: .quit, lastInGroup: true)
        case .vrfy:
            return answerLocally(Reply(252, "2.5.2", "Cannot VRFY user"), verb: "VRFY", reason: .commandNotAllowed)
        case .expn:
            return answerLocally(Reply(502, "5.5.1", "Error: command not implemented"), verb: "EXPN", reason: .commandNotAllowed)
        case .starttls:
            return startTLS()
        case .auth:
            return authenticate(line)
        case .bdat:
            // Its chunk bytes follow on the same line of traffic and cannot be trusted as commands.
            var actions = protocolError(Reply(502, "5.5.1", "Error: command not implemented"), reason: .commandNotAllowed, verb: "BDAT")
            if let last = pending.indices.last, pending[last].endsSession == nil {
                pending[last].endsSession = .commandNotAllowed
            }
            actions += flushReplies()
            return actions
        case .help, .xclient, .xforward, .etrn, .turn, .unknown:
            return protocolError(Reply(502, "5.5.1", "Error: command not recognized"), reason: .commandNotAllowed, verb: command.verb)
        case .proxyHeader:
            return refuseNonSMTP(.clientProxyHeader)
        case .nonSMTP:
            return refuseNonSMTP(.nonSMTPCommand)
        }
    }

    /// STARTTLS: relayguard terminates TLS itself (SPEC section 6). Answered `220`; whatever
    /// the client pipelined after it in plaintext is discarded when the reply is written.
    mutating func startTLS() -> [SessionAction] {
        guard settings.offerSTARTTLS else {
            return protocolError(Reply(502, "5.5.1", "Error: command not implemented"), reason: .commandNotAllowed, verb: "STARTTLS")
        }
        if inTLS {
            return protocolError(Reply(503, "5.5.1", "Error: TLS already active"), reason: .badSequence, verb: "STARTTLS")
        }
        if inTransaction || sender != nil {
            return protocolError(Reply(503, "5.5.1", "Error: STARTTLS not allowed inside a mail transaction"), reason: .badSequence, verb: "STARTTLS")
        }
        holdingInput = true
        pending.append(PendingReply(source: .local(Reply(220, "2.0.0", "Ready to start TLS")), answering: .startTLS))
        return []
    }

    /// AUTH: only inside TLS, passed through to the backend one SASL line per 334; a 235 makes
    /// the session authenticated (SPEC section 4, rule 8). Nothing may be pipelined behind it.
    mutating func authenticate(_ line: [UInt8]) -> [SessionAction] {
        guard inTLS else {
            return protocolError(Reply(503, "5.5.1", "Error: authentication not enabled"), reason: .commandNotAllowed, verb: "AUTH")
        }
        if standing.isAuthenticated {
            return protocolError(Reply(503, "5.5.1", "Error: already authenticated"), reason: .badSequence, verb: "AUTH")
        }
        if heloName == nil || inTransaction || sender != nil {
            return protocolError(Reply(503, "5.5.1", "Error: AUTH not allowed now"), reason: .badSequence, verb: "AUTH")
        }
        if framer.bufferedByteCount > 0 { return refusePipelinedSASL() }
        return forward(line, answering: .auth, lastInGroup: true)
    }

    /// The client's answer to a 334: forwarded as it is, exactly one line.
    mutating func forwardSASLResponse(_ event: FramerEvent) -> [SessionAction] {
        expectingSASLResponse = false
        guard case .line(let line) = event else {
            return protocolError(Reply(501, "5.5.2", "Error: bad SASL response"), reason: .badSyntax, verb: "AUTH")
        }
        if framer.bufferedByteCount > 0 { return refusePipelinedSASL() }
        return forward(line, answering: .auth, lastInGroup: true)
    }

    /// Why close: a client that pipelines behind AUTH or a SASL line is not waiting for the
    /// challenge; whatever it sent cannot be told apart from a SASL response.
    mutating func refusePipelinedSASL() -> [SessionAction] {
        let reply = Reply(421, "4.7.0", "\(settings.hostname) Error: pipelining not allowed during AUTH; closing")
        pending.append(PendingReply(source: .local(reply), answering: .local, endsSession: .badSequence))
        return [.log(commandRecord("AUTH", reply: reply, reason: .badSequence))]
    }

    /// After a 554 greeting (DNSBL, reject-at-connect): QUIT is answered, everything else is
    /// `503 5.5.1`, nothing is forwarded (there is no backend link).
    mutating func answerAfterRejection(_ command: Command) -> [SessionAction] {
        if case .quit = command {
            holdingInput = true
            pending.append(PendingReply(source: .local(Reply(221, "2.0.0", "Bye")), answering: .quit))
            return []
        }
        return protocolError(Reply(503, "5.5.1", "Error: access denied for your address; only QUIT"), reason: .dnsblListed,
                             verb: command.verb)
    }

    /// Sends the command's original bytes to the backend and owes the client its reply.
    mutating func forward(_ line: [UInt8], answering: PendingReply.Answering, lastInGroup: Bool) -> [SessionAction] {
        let firstAwaited = !pending.contains(where: { $0.isAwaitingBackend })
        pending.append(PendingReply(source: .awaitingBackend, answering: answering))
        if lastInGroup { holdingInput = true }
        var actions: [SessionAction] = [.sendToBackend(line)]
        if firstAwaited { actions.append(.setTimer(.backendReply, settings.commandTimeout)) }
        return actions
    }

    /// The relay decision (SPEC section 4) for one RCPT, and what follows from it.
    mutating func decideRecipient(_ path: Result<Mailbox, PathError>, line: [UInt8]) -> [SessionAction] {
        let address = (try? path.get().raw) ?? Self.rawArgument(line)
        if forwardedRecipients >= settings.maxRecipients {
            let reply = RelayReplies.tooManyRecipients
            var entry = record(.rcpt, reply: reply, reason: .tooManyRecipients)
            entry.from = sender.map { LogText($0) }
            entry.rcpt = LogText(address)
            pending.append(PendingReply(source: .local(reply), answering: .local))
            return [.log(entry)]
        }
        let decision = settings.rules.decide(recipient: path, client: standing)
        guard let refusal = decision.refusal else {
            forwardedRecipients += 1
            return forward(line, answering: .recipient(address: address, reason: decision.reason), lastInGroup: false)
        }
        var owed = PendingReply(source: .local(refusal), answering: .local)
        var entry = record(.rcpt, reply: refusal, reason: decision.reason)
        if decision.reason == .dnsblListed, let dnsblResult {
            entry.dnsblScore = dnsblResult.score.score
            entry.dnsblHits = dnsblResult.score.hits
        }
        entry.from = sender.map { LogText($0) }
        entry.rcpt = LogText(address)
        if !standing.mayRelay {
            let verdict = decision.countsAsInvalidRecipient ? limits.recordInvalidRecipient() : limits.recordError()
            switch verdict {
            case .proceed:
                owed.tarpit = nextTarpitDelay()
                if owed.tarpit > .zero { entry.tarpitMs = Int(owed.tarpit.milliseconds) }
            case .limitReached:
                let countsRecipients = decision.countsAsInvalidRecipient
                let reply = countsRecipients ? RelayReplies.tooManyInvalidRecipients : RelayReplies.tooManyErrors
                let reason: Reason = countsRecipients ? .tooManyInvalidRecipients : .tooManyErrors
                owed = PendingReply(source: .local(reply), answering: .local, endsSession: reason, blocksClient: countsRecipients)
                entry = record(.rcpt, reply: reply, reason: reason)
                entry.from = sender.map { LogText($0) }
                entry.rcpt = LogText(address)
            }
        }
        pending.append(owed)
        return [.log(entry)]
    }

    /// A reply relayguard writes itself, logged as a `command` event.
    mutating func answerLocally(_ reply: Reply, verb: String, reason: Reason) -> [SessionAction] {
        pending.append(PendingReply(source: .local(reply), answering: .local))
        return [.log(commandRecord(verb, reply: reply, reason: reason))]
    }

    /// A refused command that counts towards `error_limit`; the one that reaches it is
    /// answered `421 4.7.0` and ends the session.
    mutating func protocolError(_ reply: Reply, reason: Reason, verb: String? = nil) -> [SessionAction] {
        var entry = record(.command, reply: reply, reason: reason)
        if let verb { entry.detail = LogText(verb) }
        switch limits.recordError() {
        case .proceed:
            pending.append(PendingReply(source: .local(reply), answering: .local))
            return [.log(entry)]
        case .limitReached:
            // One record, with the reply the client gets: the 421, not the error it replaces.
            let limitReply = RelayReplies.tooManyErrors
            pending.append(PendingReply(source: .local(limitReply), answering: .local, endsSession: .tooManyErrors))
            var limitEntry = record(.command, reply: limitReply, reason: .tooManyErrors)
            limitEntry.detail = entry.detail
            return [.log(limitEntry)]
        }
    }

    /// The sender as the log shows it: `""` for the null sender.
    static func senderText(_ path: ReversePath) -> String {
        switch path {
        case .null: return ""
        case .mailbox(let mailbox): return mailbox.raw
        }
    }

    /// For the log of an unparseable RCPT: the text after `RCPT TO:`, without CRLF.
    static func rawArgument(_ line: [UInt8]) -> String {
        var bytes = line[...]
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) { bytes = bytes[(colon + 1)...] }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " <>")
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}

extension SessionMachine {
    /// The `220 Ready to start TLS` is written: discard plaintext pipelined after STARTTLS
    /// (the CVE-2011-0411 class), forget the SMTP state, reset the backend's, and hand over
    /// to the handshake.
    mutating func beginTLS() -> [SessionAction] {
        var actions: [SessionAction] = []
        let injected = framer.takeBufferedBytes()
        if !injected.isEmpty {
            var entry = record(.command, .drop, reason: .badSequence,
                               detail: "\(injected.count) bytes of plaintext pipelined after STARTTLS discarded")
            entry.detail = LogText("\(injected.count) bytes of plaintext pipelined after STARTTLS discarded")
            actions.append(.log(entry))
        }
        heloName = nil
        endTransaction()
        forwardedRecipients = 0
        phase = .tlsHandshake
        pending.append(PendingReply(source: .awaitingBackend, answering: .internalReset))
        actions.append(.sendToBackend(Array("RSET\r\n".utf8)))
        actions.append(.setTimer(.backendReply, settings.commandTimeout))
        actions.append(.startTLS)
        return actions
    }
}
