/// The running summary of decision logs (relayguard(8), DECISION LOG) for `relayguard report`, built one line
/// at a time in bounded memory, whatever the size of the logs.
///
/// What it counts:
/// - decisions by reason: every record with a `decision`, per `reason` (`(none)` when absent)
///   and per decision (accept, reject, tempfail, drop);
/// - clients: the `client` of every `connect` record (sessions per client);
/// - refused clients: the `client` of every refusal (reject, tempfail, drop), any event;
/// - probed recipients: the `rcpt` of every refused `rcpt` record (what a harvester tried);
/// - DNSBL hits per zone: each `zone=answer` of `dnsbl_hits`, once per session (a session's
///   hits may be repeated on several of its records), once per record without a `session`;
///   DNSBL timeouts and errors per zone: the zones a `dnsbl` record names in its `detail` as
///   `ZONE timed out` or `ZONE failed`;
/// - the tarpit: the sum of `tarpit_ms` and the number of replies that carried one;
/// - sessions (`connect` records) and accepted messages (`message` records with decision
///   `accept`) per UTC hour of `ts`; per hour also the decisions by reason and the tarpit time.
///
/// With a `ReportWindow` (`--since`, `--until`), records whose `ts` is outside it, or not a
/// readable time, are skipped: counted in `outsideWindow` and nowhere else.
///
/// Lines that are not a JSON object with a string `ts` and `event` are counted as unreadable,
/// with the location of the first few, and never stop the report. Blank lines are skipped.
///
/// Memory: clients and recipients go through `HeavyHitters` (exact up to `Limits.topCounters`
/// distinct keys, then approximate with a stated bound); reasons, zones and hours are exact up to
/// their caps, the rest counted as overflow.
public struct LogSummary: Sendable {
    /// The caps that keep the summary bounded.
    public struct Limits: Sendable {
        public var topCounters = 10_000
        public var distinctKeys = 1_000
        public var hours = 100_000
        public var sessionWindow = 65_536
        public var unreadableExamples = 5

        public init() {}
    }

    /// Non-blank lines read.
    public private(set) var lines = 0
    /// Lines that were decision records inside the window.
    public private(set) var records = 0
    /// Decision records skipped because their `ts` is outside the window (or unreadable while
    /// a window is set).
    public private(set) var outsideWindow = 0
    /// The window records were counted in.
    public let window: ReportWindow
    /// Lines that were not.
    public private(set) var unreadable = 0
    /// Where the first unreadable lines were.
    public private(set) var unreadableExamples: [LineLocation] = []
    public private(set) var reasons: BoundedCounter<DecisionCounts>
    /// Sessions (`connect` records) per client.
    public private(set) var clients: HeavyHitters
    public private(set) var refusedClients: HeavyHitters
    public private(set) var probedRecipients: HeavyHitters
    public private(set) var dnsblZones: BoundedCounter<Int>
    /// Lookups per zone that timed out (`dnsbl_timeout`) and failed (`dnsbl_error`), from the
    /// `detail` of `dnsbl` records (`ZONE timed out, ZONE failed`).
    public private(set) var dnsblTimeouts: BoundedCounter<Int>
    public private(set) var dnsblErrors: BoundedCounter<Int>
    public private(set) var tarpitMilliseconds = 0
    public private(set) var tarpittedReplies = 0
    public private(set) var hours: BoundedCounter<HourlyCounts>
    /// `connect` records, in all.
    public private(set) var sessions = 0
    /// `message` records with decision `accept`, in all.
    public private(set) var messages = 0
    /// Records whose `ts` has no readable hour (counted in the totals, not per hour).
    public private(set) var recordsWithoutHour = 0

    private let limits: Limits
    private var sessionsWithHits: RecentKeys

    public init(limits: Limits = Limits(), window: ReportWindow = ReportWindow()) {
        self.limits = limits
        self.window = window
        clients = HeavyHitters(capacity: limits.topCounters)
        reasons = BoundedCounter(capacity: limits.distinctKeys, initial: DecisionCounts())
        refusedClients = HeavyHitters(capacity: limits.topCounters)
        probedRecipients = HeavyHitters(capacity: limits.topCounters)
        dnsblZones = BoundedCounter(capacity: limits.distinctKeys, initial: 0)
        dnsblTimeouts = BoundedCounter(capacity: limits.distinctKeys, initial: 0)
        dnsblErrors = BoundedCounter(capacity: limits.distinctKeys, initial: 0)
        hours = BoundedCounter(capacity: limits.hours, initial: HourlyCounts())
        sessionsWithHits = RecentKeys(capacity: limits.sessionWindow)
    }

    /// Reads one line (without its line end).
    public mutating func add(line: some Collection<UInt8>, at location: LineLocation) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        lines += 1
        guard let fields = try? JSONObjectParser.parseObject(line),
              let decision = LoggedDecision(fields: fields) else {
            noteUnreadable(at: location)
            return
        }
        if !window.isUnbounded {
            guard let instant = decision.instant, window.contains(instant) else {
                outsideWindow += 1
                return
            }
        }
        records += 1
        add(decision)
    }

    /// Counts a line the reader could not even hand over (longer than its line limit).
    public mutating func addUnreadable(at location: LineLocation) {
        lines += 1
        noteUnreadable(at: location)
    }

    private mutating func noteUnreadable(at location: LineLocation) {
        unreadable += 1
        if unreadableExamples.count < limits.unreadableExamples {
            unreadableExamples.append(location)
        }
    }

    /// Counts one decision record (the window is applied by `add(line:at:)`, not here).
    public mutating func add(_ record: LoggedDecision) {
        var hourlyReason: String?
        if record.decision != nil {
            let reason = record.reason ?? "(none)"
            hourlyReason = reasons.update(reason) { $0.count(record.decision) } ? reason : "(other)"
        }
        if record.isRefusal {
            if let client = record.client { refusedClients.add(client) }
            if record.event == "rcpt", let rcpt = record.rcpt { probedRecipients.add(rcpt) }
        }
        if !record.dnsblHits.isEmpty, record.session.map({ sessionsWithHits.insert($0) }) ?? true {
            for hit in record.dnsblHits {
                let zone = hit.split(separator: "=", maxSplits: 1).first.map(String.init) ?? hit
                dnsblZones.update(zone) { $0 += 1 }
            }
        }
        if record.event == "dnsbl", let detail = record.detail {
            for item in detail.split(separator: ",") {
                let words = item.split(separator: " ")
                if words.count == 3, words[1] == "timed", words[2] == "out" {
                    dnsblTimeouts.update(String(words[0])) { $0 += 1 }
                } else if words.count == 2, words[1] == "failed" {
                    dnsblErrors.update(String(words[0])) { $0 += 1 }
                }
            }
        }
        var tarpit = 0
        if let milliseconds = record.tarpitMs, milliseconds > 0 {
            tarpit = milliseconds
            tarpitMilliseconds += milliseconds
            tarpittedReplies += 1
        }
        let isSession = record.event == "connect"
        let isMessage = record.event == "message" && record.decision == "accept"
        if isSession {
            sessions += 1
            if let client = record.client { clients.add(client) }
        }
        if isMessage { messages += 1 }
        guard isSession || isMessage || hourlyReason != nil || tarpit > 0 else { return }
        if let hour = record.hour {
            hours.update(hour) { counts in
                if isSession { counts.sessions += 1 }
                if isMessage { counts.messages += 1 }
                if let hourlyReason { counts.decisions[hourlyReason, default: 0] += 1 }
                counts.tarpitMilliseconds += tarpit
            }
        } else if isSession || isMessage {
            recordsWithoutHour += 1
        }
    }
}
