/// The fields of one decision-log line (relayguard(8), DECISION LOG) that the report uses.
///
/// A line is a decision record when it is a JSON object with a string `ts` and a string
/// `event`; every other field is optional, and a field of the wrong type is ignored as if absent
/// (the report counts what it can rather than dropping a whole line for one odd field).
public struct LoggedDecision: Sendable, Equatable {
    public var timestamp: String
    public var event: String
    public var session: String?
    public var client: String?
    public var decision: String?
    public var code: Int?
    public var reason: String?
    public var rcpt: String?
    public var dnsblHits: [String]
    public var tarpitMs: Int?
    /// Free text; on `dnsbl` records it names the zones that timed out or failed.
    public var detail: String?

    public init(timestamp: String, event: String, session: String? = nil, client: String? = nil,
                decision: String? = nil, code: Int? = nil, reason: String? = nil, rcpt: String? = nil,
                dnsblHits: [String] = [], tarpitMs: Int? = nil, detail: String? = nil) {
        self.timestamp = timestamp
        self.event = event
        self.session = session
        self.client = client
        self.decision = decision
        self.code = code
        self.reason = reason
        self.rcpt = rcpt
        self.dnsblHits = dnsblHits
        self.tarpitMs = tarpitMs
        self.detail = detail
    }

    /// The record in `fields`, or nil when they lack a string `ts` or `event`.
    public init?(fields: [JSONField]) {
        var timestamp: String?
        var event: String?
        self.dnsblHits = []
        for field in fields {
            switch field.key {
            case "ts": timestamp = field.value.stringValue
            case "event": event = field.value.stringValue
            case "session": session = field.value.stringValue
            case "client": client = field.value.stringValue
            case "decision": decision = field.value.stringValue
            case "code": code = field.value.integerValue
            case "reason": reason = field.value.stringValue
            case "rcpt": rcpt = field.value.stringValue
            case "tarpit_ms": tarpitMs = field.value.integerValue
            case "detail": detail = field.value.stringValue
            case "dnsbl_hits":
                if case .array(let hits) = field.value {
                    dnsblHits = hits.compactMap(\.stringValue)
                }
            default:
                continue
            }
        }
        guard let timestamp, let event else { return nil }
        self.timestamp = timestamp
        self.event = event
    }

    /// The UTC hour of `ts`, `2026-11-30T08`, or nil when `ts` does not start like
    /// `YYYY-MM-DDTHH`.
    public var hour: String? {
        var timestamp = timestamp
        return timestamp.withUTF8 { utf8 -> String? in
            guard utf8.count >= 13 else { return nil }
            for offset in 0..<13 {
                let byte = utf8[offset]
                switch offset {
                case 4, 7: guard byte == UInt8(ascii: "-") else { return nil }
                case 10: guard byte == UInt8(ascii: "T") else { return nil }
                default: guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                }
            }
            // Why no Array: this runs for nearly every record, and 13 bytes fit a small String.
            return String(decoding: UnsafeBufferPointer(rebasing: utf8[0..<13]), as: UTF8.self)
        }
    }

    /// `ts` as milliseconds since the epoch (`ReportTime`), or nil when it is not ISO 8601.
    public var instant: Int? { ReportTime.parseISO8601(timestamp) }

    /// True for a refusal of any kind: `reject`, `tempfail` or `drop`.
    public var isRefusal: Bool {
        decision == "reject" || decision == "tempfail" || decision == "drop"
    }
}
