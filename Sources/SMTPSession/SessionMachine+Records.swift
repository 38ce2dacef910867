import DecisionLog
import SMTPProtocol

/// The session's decision records: every record of a session is built here (STYLE: each
/// decision one record, built in one place). The driver stamps the time.
extension SessionMachine {
    func record(_ event: Event, _ decision: Decision?, code: Int? = nil, enhanced: String? = nil, reason: Reason? = nil,
                detail: String? = nil) -> DecisionRecord {
        var entry = DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: event)
        entry.session = sessionID
        entry.client = peer.client.description
        entry.clientPort = Int(peer.clientPort)
        entry.decision = decision
        entry.code = code
        entry.enhanced = enhanced
        entry.reason = reason
        if let detail { entry.detail = LogText(detail) }
        return entry
    }

    func record(_ event: Event, reply: Reply, reason: Reason, detail: String? = nil) -> DecisionRecord {
        record(event, Self.decision(for: reply), code: reply.code, enhanced: reply.enhanced, reason: reason, detail: detail)
    }

    /// A `command` record, its detail the verb.
    func commandRecord(_ verb: String, reply: Reply, reason: Reason) -> DecisionRecord {
        record(.command, reply: reply, reason: reason, detail: verb)
    }

    /// The decision a reply stands for: 421 drops the session.
    static func decision(for reply: Reply) -> Decision {
        if reply.code == 421 { return .drop }
        if reply.isPermanentFailure { return .reject }
        if reply.isTransientFailure { return .tempfail }
        return .accept
    }
}
