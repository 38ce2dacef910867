import DecisionLog
import RelayPolicy
import SMTPProtocol

/// RCPT: the relay decision (relayguard.conf(5), RELAY DECISION) and the bookkeeping of every refused recipient
/// (section 5), whoever refused it.
extension SessionMachine {
    /// The relay decision for one RCPT, and what follows from it.
    mutating func decideRecipient(_ path: Result<Mailbox, PathError>, line: [UInt8]) -> [SessionAction] {
        let address = (try? path.get().raw) ?? Self.rawArgument(line)
        if dialogue.transaction.recipients >= settings.maxRecipients {
            let reply = RelayReplies.tooManyRecipients
            pending.append(.local(reply))
            return [.log(recipientRecord(address, reply: reply, reason: .tooManyRecipients))]
        }
        let decision = settings.rules.decide(recipient: path, client: standing)
        switch decision.outcome {
        case .forward(let reason):
            switch dialogue.transaction {
            case .none:
                // Only a transaction the backend accepted (or has yet to answer) takes RCPTs.
                return refuse(.needMail, verb: "RCPT")
            case .mailPending(var envelope):
                envelope.recipients += 1
                dialogue.transaction = .mailPending(envelope)
            case .open(var envelope):
                envelope.recipients += 1
                dialogue.transaction = .open(envelope)
            }
            return forward(line, answering: .recipient(address: address, reason: reason), verb: .rcpt)
        case .refuse(let reply, let refusal):
            var owed = PendingReply.local(reply)
            return bookRefusedRecipient(refusal, reply: reply, address: address, owed: &owed, appending: true)
        }
    }

    /// Books one refused RCPT, for relayguard's own refusals and the backend's alike: the
    /// counts (per session, and per client across sessions), the tarpit delay, the limit that
    /// turns the refusal into `421` and ends the session, the harvest block, and the one
    /// record. Everything is decided now, when the refusal is decided, not when its delayed
    /// reply is written: a client that hangs up during the tarpit has still spent it.
    ///
    /// `owed`: the reply the client will get, changed here (tarpit, limit); `appending`: put
    /// it on the queue (a local refusal) rather than leave it where it is (a backend reply).
    /// `backendReply`: the backend's own reply when it refused, logged in `detail`.
    mutating func bookRefusedRecipient(_ refusal: RecipientRefusal, reply: Reply, address: String,
                                       owed: inout PendingReply, appending: Bool, backendReply: Reply? = nil) -> [SessionAction] {
        var actions: [SessionAction] = []
        var entry = recipientRecord(address, reply: reply, reason: refusal.reason)
        if refusal == .dnsblListed, case .resolved(let result) = dnsbl {
            entry.dnsblScore = result.score.score
            entry.dnsblHits = result.score.hits
        }
        if let backendReply { entry.detail = LogText("\(backendReply.code) \(backendReply.text)") }
        // Trusted and authenticated clients are never counted, tarpitted or blocked.
        if !standing.mayRelay {
            let verdict: SessionLimits.Verdict
            switch refusal.counter {
            case .invalidRecipient:
                verdict = limits.recordInvalidRecipient()
                actions.append(.countRefusal)
            case .protocolError:
                verdict = limits.recordError()
            }
            switch verdict {
            case .proceed:
                if refusal.isTarpitted {
                    refusedRecipients += 1
                    owed.tarpit = settings.tarpit.delay(forRejection: refusedRecipients)
                    if owed.tarpit > .zero { entry.tarpitMs = Int(owed.tarpit.milliseconds) }
                }
            case .limitReached:
                let countsRecipients = refusal.counter == .invalidRecipient
                let limitReply = countsRecipients ? RelayReplies.tooManyInvalidRecipients : RelayReplies.tooManyErrors
                let reason: Reason = countsRecipients ? .tooManyInvalidRecipients : .tooManyErrors
                owed.source = .local(limitReply)
                owed.tarpit = .zero
                owed.endsSession = reason
                owed.abusive = true
                entry = recipientRecord(address, reply: limitReply, reason: reason)
                if countsRecipients { actions.append(.blockClient) }
            }
        }
        actions.insert(.log(entry), at: 0)
        if appending { pending.append(owed) }
        return actions
    }

    /// Whether a backend's 5xx to RCPT says the user does not exist: the enhanced code 5.1.1
    /// (Postfix), or Exim's default text, which has no enhanced code.
    static func isUnknownUser(_ reply: Reply) -> Bool {
        guard reply.code == 550 else { return false }
        if reply.enhanced == "5.1.1" { return true }
        return reply.enhanced == nil && ASCII.uppercased(reply.text).hasPrefix("UNROUTEABLE ADDRESS")
    }

    /// An `rcpt` record with the transaction's sender.
    func recipientRecord(_ address: String, reply: Reply, reason: Reason) -> DecisionRecord {
        var entry = record(.rcpt, reply: reply, reason: reason)
        entry.from = dialogue.transaction.sender.map { LogText($0) }
        entry.rcpt = LogText(address)
        return entry
    }

    /// For the log of an unparseable RCPT: the text after `RCPT TO:`, without CRLF.
    static func rawArgument(_ line: [UInt8]) -> String {
        var bytes = line[...]
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) { bytes = bytes[(colon + 1)...] }
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "<") { bytes.removeFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: ">") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
