/// One line of the decision log (relayguard(8), DECISION LOG): what was decided, for whom, and why.
///
/// Every field but `timestamp` and `event` is optional: a nil field is left out of the line
/// ("omit what does not apply"). Envelope and HELO text is kept as the client sent it
/// (`LogText`), so `from: LogText("")` logs the null sender as `"from":""` while `from: nil`
/// logs no `from` at all.
///
/// `jsonLine` renders the record with the fields always in this order:
/// `ts session event client decision code enhanced reason helo from rcpt dnsbl_score dnsbl_hits
/// tarpit_ms bytes duration_ms detail`.
/// Why a fixed order: people read and grep these lines; the same field is always in the same place.
public struct DecisionRecord: Sendable, Equatable {
    /// `ts`: when the decision was made (supplied by the caller; this module reads no clock).
    public var timestamp: Timestamp
    /// `session`: one id per client connection.
    public var session: String?
    /// `event`: what was decided on.
    public var event: Event
    /// `client`: the client IP (an IPv4-mapped IPv6 address shown as IPv4 by the caller).
    public var client: String?
    /// `decision`: accept, reject, tempfail, drop.
    public var decision: Decision?
    /// `code`: the reply code the client got, a JSON number.
    public var code: Int?
    /// `enhanced`: the enhanced status code of that reply, e.g. `5.7.1`.
    public var enhanced: String?
    /// `reason`: machine-readable reason.
    public var reason: Reason?
    /// `helo`: the HELO/EHLO argument as sent.
    public var helo: LogText?
    /// `from`: the envelope sender as sent, without angle brackets; `""` for the null sender.
    public var from: LogText?
    /// `rcpt`: the recipient as sent, without angle brackets.
    public var rcpt: LogText?
    /// `dnsbl_score`: the client's summed DNSBL score.
    public var dnsblScore: Int?
    /// `dnsbl_hits`: which lists answered what, e.g. `zen.spamhaus.org=127.0.0.2`.
    public var dnsblHits: [String]?
    /// `tarpit_ms`: the delay applied before this reply.
    public var tarpitMs: Int?
    /// `bytes`: message or session size, for `message` and `disconnect`.
    public var bytes: Int?
    /// `duration_ms`: how long the message or session took, for `message` and `disconnect`.
    public var durationMs: Int?
    /// `detail`: free text, e.g. the backend's reply text or an error message.
    public var detail: LogText?
    /// `client_port`: the client's TCP port, on every record of a session, so a line can be
    /// found in the MTA's log (which names the client by address and port).
    public var clientPort: Int?
    /// `queue_id`: on `message`, the id the backend named in its reply (Postfix `queued as ID`,
    /// Exim `id=ID`).
    public var queueID: String?

    public init(
        timestamp: Timestamp,
        session: String? = nil,
        event: Event,
        client: String? = nil,
        decision: Decision? = nil,
        code: Int? = nil,
        enhanced: String? = nil,
        reason: Reason? = nil,
        helo: LogText? = nil,
        from: LogText? = nil,
        rcpt: LogText? = nil,
        dnsblScore: Int? = nil,
        dnsblHits: [String]? = nil,
        tarpitMs: Int? = nil,
        bytes: Int? = nil,
        durationMs: Int? = nil,
        detail: LogText? = nil
    ) {
        self.timestamp = timestamp
        self.session = session
        self.event = event
        self.client = client
        self.decision = decision
        self.code = code
        self.enhanced = enhanced
        self.reason = reason
        self.helo = helo
        self.from = from
        self.rcpt = rcpt
        self.dnsblScore = dnsblScore
        self.dnsblHits = dnsblHits
        self.tarpitMs = tarpitMs
        self.bytes = bytes
        self.durationMs = durationMs
        self.detail = detail
    }

    /// The record as one JSON object followed by `\n`, valid UTF-8 whatever the client sent.
    public var jsonLine: [UInt8] {
        var encoder = JSONLineEncoder(reservingCapacity: estimatedLineSize)
        encoder.field("ts", timestamp: timestamp)
        if let session { encoder.field("session", string: session) }
        encoder.field("event", string: event.rawValue)
        if let client { encoder.field("client", string: client) }
        if let clientPort { encoder.field("client_port", integer: clientPort) }
        if let decision { encoder.field("decision", string: decision.rawValue) }
        if let code { encoder.field("code", integer: code) }
        if let enhanced { encoder.field("enhanced", string: enhanced) }
        if let reason { encoder.field("reason", string: reason.rawValue) }
        if let helo { encoder.field("helo", text: helo) }
        if let from { encoder.field("from", text: from) }
        if let rcpt { encoder.field("rcpt", text: rcpt) }
        if let dnsblScore { encoder.field("dnsbl_score", integer: dnsblScore) }
        if let dnsblHits { encoder.field("dnsbl_hits", strings: dnsblHits) }
        if let tarpitMs { encoder.field("tarpit_ms", integer: tarpitMs) }
        if let bytes { encoder.field("bytes", integer: bytes) }
        if let durationMs { encoder.field("duration_ms", integer: durationMs) }
        if let queueID { encoder.field("queue_id", string: queueID) }
        if let detail { encoder.field("detail", text: detail) }
        return encoder.finish()
    }

    /// Room for the fixed parts plus the variable text, so the line is built without regrowing
    /// in the usual case (escapes can still make it grow).
    private var estimatedLineSize: Int {
        var size = 256
        size += session?.utf8.count ?? 0
        size += client?.utf8.count ?? 0
        size += helo?.bytes.count ?? 0
        size += from?.bytes.count ?? 0
        size += rcpt?.bytes.count ?? 0
        size += detail?.bytes.count ?? 0
        if let dnsblHits {
            for hit in dnsblHits {
                size += hit.utf8.count + 3
            }
        }
        return size
    }
}
