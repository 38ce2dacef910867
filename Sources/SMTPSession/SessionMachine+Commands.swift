import DecisionLog
import RelayPolicy
import SMTPProtocol

/// Client commands: the verb table of SMTPProtocol (`CommandVerb.rules`) applied in one
/// order, then each verb's own handling (docs/ARCHITECTURE.md, protocol safety).
extension SessionMachine {
    /// One event from the line framer, in a phase that reads commands.
    mutating func handle(_ event: FramerEvent) -> [SessionAction] {
        if case .saslResponse = phase { return forwardSASLResponse(event) }
        switch event {
        case .lineTooLong:
            return refuse(.lineTooLong)
        case .malformedLine(let defect, _):
            return refuse(.malformedLine(defect))
        case .line(let line):
            switch CommandParser.parse(line) {
            case .failure(.badRecipientPath(let pathError)):
                // A RCPT all the same: an `rcpt` record for the syntax.
                if let refusal = sequenceRefusal(for: .rcpt) { return refuse(refusal, verb: "RCPT") }
                return decideRecipient(.failure(pathError), line: line)
            case .failure(let error):
                return refuse(.syntax(error), verb: Self.verbText(line))
            case .success(let command):
                return handle(command, line: line)
            }
        }
    }

    /// One parsed command, with its original bytes.
    mutating func handle(_ command: Command, line: [UInt8]) -> [SessionAction] {
        guard let verb = command.commandVerb else {
            switch command {
            case .proxyHeader: return refuseNonSMTP(.clientProxyHeader)
            case .nonSMTP: return refuseNonSMTP(.nonSMTPCommand)
            case .unknown, .helo, .ehlo, .mail, .rcpt, .data, .rset, .noop, .quit, .vrfy, .expn, .help, .starttls, .auth,
                 .bdat, .xclient, .xforward, .etrn, .turn:
                return refuse(.notRecognized, verb: command.verb)
            }
        }
        if case .onlyQuit = phase {
            guard verb == .quit else { return refuse(.onlyQuitAllowed, verb: verb.rawValue) }
            pending.append(PendingReply(source: .local(LocalReply.bye), answering: .quit, endsGroup: true))
            return []
        }
        var actions: [SessionAction] = []
        if verb.rules.isJunk {
            junkCommands += 1
            // relayguard.conf(5), junk_command_limit: past it, each one is an error too, so a client
            // that only probes or idles reaches error_limit.
            if junkCommands > settings.junkCommandLimit, case .limitReached = limits.recordError() {
                return closeForTooManyErrors(verb: verb.rawValue, detail: "junk command limit")
            }
        }
        switch verb.rules.handling {
        case .refuse:
            return refuse(.notRecognized, verb: verb.rawValue)
        case .refuseAndClose:
            // Its chunk bytes follow on the same line of traffic and cannot be trusted as commands.
            actions = refuse(.notImplemented, verb: verb.rawValue)
            if let last = pending.indices.last, pending[last].endsSession == nil {
                pending[last].endsSession = .commandNotAllowed
                pending[last].abusive = true
            }
            return actions
        case .forward, .answerLocally:
            break
        }
        if let refusal = sequenceRefusal(for: verb) { return refuse(refusal, verb: verb.rawValue) }

        switch command {
        case .helo(let name):
            return forward(line, answering: .helo(extended: false, name: name), verb: verb)
        case .ehlo(let name):
            return forward(line, answering: .helo(extended: true, name: name), verb: verb)
        case .mail(let mail):
            let sender = Self.senderText(mail.reversePath)
            dialogue.transaction = .mailPending(Envelope(sender: sender))
            return forward(line, answering: .mail(sender: sender), verb: verb)
        case .rcpt(let recipient):
            return decideRecipient(.success(recipient.forwardPath), line: line)
        case .data:
            return forward(line, answering: .data, verb: verb)
        case .rset:
            // RSET cannot fail short of the backend ending the session: whatever follows it is
            // read by the backend with no transaction, so relayguard's view is that at once.
            dialogue.transaction = .none
            return forward(line, answering: .reset, verb: verb)
        case .noop:
            return forward(line, answering: .noop, verb: verb)
        case .quit:
            return forward(line, answering: .quit, verb: verb)
        case .vrfy:
            return answerLocally(LocalReply.vrfy, verb: verb)
        case .expn:
            return answerLocally(LocalReply.expn, verb: verb)
        case .starttls:
            pending.append(PendingReply(source: .local(LocalReply.readyForTLS), answering: .startTLS, endsGroup: true))
            return []
        case .auth:
            if framer.bufferedByteCount > 0 { return refusePipelinedSASL() }
            return forward(line, answering: .auth, verb: verb)
        case .help, .bdat, .xclient, .xforward, .etrn, .turn, .proxyHeader, .nonSMTP, .unknown:
            // Refused by the table above; reaching here is a table that disagrees with itself.
            return refuse(.notRecognized, verb: command.verb)
        }
    }

    /// Whether the verb may be used now, by the table's columns, in this order: STARTTLS
    /// needs a certificate and AUTH needs TLS; after STARTTLS a new EHLO comes first; MAIL,
    /// STARTTLS and AUTH not inside a transaction; RCPT and DATA only inside one.
    func sequenceRefusal(for verb: CommandVerb) -> CommandRefusal? {
        let rules = verb.rules
        switch verb {
        case .starttls:
            if !settings.offerSTARTTLS { return .notImplemented }
            if dialogue.inTLS { return .tlsAlreadyActive }
        case .auth:
            if !dialogue.inTLS { return .authNotEnabled }
            if standing.isAuthenticated { return .alreadyAuthenticated }
            if dialogue.helo == nil { return .needHello }
        case .helo, .ehlo, .mail, .rcpt, .data, .rset, .noop, .quit, .vrfy, .expn, .help, .bdat, .xclient, .xforward, .etrn, .turn:
            break
        }
        if dialogue.inTLS && dialogue.helo == nil && !rules.beforeHelloAfterTLS { return .needHello }
        if !rules.inTransaction, case .open = dialogue.transaction {
            switch verb {
            case .mail: return .nestedMail
            case .starttls: return .startTLSInTransaction
            case .auth: return .authNotAllowedNow
            case .helo, .ehlo, .rcpt, .data, .rset, .noop, .quit, .vrfy, .expn, .help, .bdat, .xclient, .xforward, .etrn, .turn:
                return .authNotAllowedNow
            }
        }
        // RCPT meets this rule after the relay decision (`decideRecipient`): a relay attempt is
        // refused as one, with or without a transaction.
        if rules.needsMail, verb != .rcpt, case .none = dialogue.transaction { return .needMail }
        return nil
    }

    /// The client's answer to a 334: forwarded as it is, exactly one line. A line relayguard
    /// refuses (bare CR or LF, NUL, too long) cancels the exchange at the backend with `*`
    /// (RFC 4954 section 4), so both sides leave AUTH together and nothing the client sends
    /// next is read by the backend as a user name or password.
    mutating func forwardSASLResponse(_ event: FramerEvent) -> [SessionAction] {
        phase = .commands
        guard case .line(let line) = event else {
            let refusal = CommandRefusal.badSASLResponse
            guard case .proceed = limits.recordError() else { return closeForTooManyErrors(verb: "AUTH", detail: nil) }
            let entry = commandRecord("AUTH", reply: refusal.reply, reason: refusal.reason)
            // The client's answer is relayguard's refusal; the backend's reply to `*` is consumed.
            pending.append(PendingReply(source: .awaitingBackend, answering: .saslCancel(refusal.reply), endsGroup: true))
            return [.log(entry)] + send(Array("*\r\n".utf8))
        }
        if framer.bufferedByteCount > 0 { return refusePipelinedSASL() }
        return forward(line, answering: .auth, verb: .auth)
    }

    /// Why close: a client that pipelines behind AUTH or a SASL line is not waiting for the
    /// challenge; whatever it sent cannot be told apart from a SASL response.
    mutating func refusePipelinedSASL() -> [SessionAction] {
        let reply = LocalReply.pipelinedAuth(settings.hostname)
        pending.append(.local(reply, endsSession: .badSequence, abusive: true))
        return [.log(commandRecord("AUTH", reply: reply, reason: .badSequence))]
    }

    /// `421 4.7.0 Not SMTP; closing`, written at once (nothing owed before it matters).
    mutating func refuseNonSMTP(_ reason: Reason) -> [SessionAction] {
        let reply = LocalReply.notSMTP
        var actions: [SessionAction] = [.log(record(.command, reply: reply, reason: reason)), .sendToClient(reply.wireBytes)]
        actions += close(reason: reason, abusive: true)
        return actions
    }

    /// Sends the command's original bytes to the backend and owes the client its reply.
    mutating func forward(_ line: [UInt8], answering: PendingReply.Answering, verb: CommandVerb) -> [SessionAction] {
        pending.append(PendingReply(source: .awaitingBackend, answering: answering, endsGroup: verb.rules.endsGroup))
        return send(line)
    }

    /// Bytes to the backend for a reply now awaited: the reply timer starts with the first.
    mutating func send(_ line: [UInt8]) -> [SessionAction] {
        // The reply just queued is the only one awaited (stops at the first earlier one found,
        // rather than counting the whole queue for every forwarded command).
        let firstAwaited = !pending.dropLast().contains(where: \.isAwaitingBackend)
        var actions: [SessionAction] = [.sendToBackend(line)]
        if firstAwaited { actions.append(.setTimer(.backendReply, settings.commandTimeout)) }
        return actions
    }

    /// A reply relayguard writes itself (VRFY, EXPN), logged as a `command` event.
    mutating func answerLocally(_ reply: Reply, verb: CommandVerb) -> [SessionAction] {
        pending.append(.local(reply))
        return [.log(commandRecord(verb.rawValue, reply: reply, reason: .commandNotAllowed))]
    }

    /// A refused command: its reply from `CommandRefusal`, counted towards `error_limit`.
    mutating func refuse(_ refusal: CommandRefusal, verb: String? = nil) -> [SessionAction] {
        countError(refusal.reply, reason: refusal.reason, verb: verb)
    }

    /// Counts one protocol error and owes its reply; the error that reaches `error_limit` is
    /// answered `421 4.7.0` instead and ends the session.
    mutating func countError(_ reply: Reply, reason: Reason, verb: String?) -> [SessionAction] {
        switch limits.recordError() {
        case .proceed:
            pending.append(.local(reply))
            var entry = record(.command, reply: reply, reason: reason)
            if let verb { entry.detail = LogText(verb) }
            return [.log(entry)]
        case .limitReached:
            return closeForTooManyErrors(verb: verb, detail: nil)
        }
    }

    /// `error_limit` is reached: one record, with the reply the client gets (the 421, not the
    /// error it replaces), and the session ends when it is written.
    mutating func closeForTooManyErrors(verb: String?, detail: String?) -> [SessionAction] {
        let reply = RelayReplies.tooManyErrors
        pending.append(.local(reply, endsSession: .tooManyErrors, abusive: true))
        var entry = record(.command, reply: reply, reason: .tooManyErrors)
        let text = [verb, detail].compactMap { $0 }.joined(separator: ": ")
        if !text.isEmpty { entry.detail = LogText(text) }
        return [.log(entry)]
    }

    /// The sender as the log shows it: `""` for the null sender.
    static func senderText(_ path: ReversePath) -> String {
        switch path {
        case .null: return ""
        case .mailbox(let mailbox): return mailbox.raw
        }
    }

    /// The verb of a line the parser refused, for the record's detail (ASCII upper case).
    static func verbText(_ line: [UInt8]) -> String? {
        let verb = line.prefix { $0 != UInt8(ascii: " ") && $0 != 13 && $0 != 10 }.prefix(16)
        return verb.isEmpty ? nil : ASCII.uppercased(verb)
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
            actions.append(.log(record(.command, .drop, reason: .badSequence,
                                       detail: "\(injected.count) bytes of plaintext pipelined after STARTTLS discarded")))
        }
        dialogue.helo = nil
        dialogue.transaction = .none
        phase = .tlsHandshake
        pending.append(PendingReply(source: .awaitingBackend, answering: .internalReset, endsGroup: true))
        actions.append(.sendToBackend(Array("RSET\r\n".utf8)))
        actions.append(.setTimer(.backendReply, settings.commandTimeout))
        actions.append(.startTLS)
        return actions
    }
}
