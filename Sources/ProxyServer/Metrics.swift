// Metrics: relayguard's counters for Prometheus (text exposition format 0.0.4).
//
// Contract: the decision counters are counted from the decision records themselves, as each is
// logged (`count(_:)`), so over the same traffic they agree with the decision log exactly; the
// gauges (sessions, tarpits held, blocks) are read when a scrape asks. Loop thread only.
//
// Why counted from the records: one place decides what happened (the record); a second set
// of counter increments beside it would drift, as two sources of one fact do.
import DecisionLog
import DNSBL

final class Metrics {
    /// `relayguard_decisions_total{event,decision,reason}`.
    private var decisions: [DecisionKey: Int] = [:]
    private(set) var connections = 0
    private var messages: [String: Int] = [:]
    private var messageBytes = 0
    private var backendFailures = 0
    private var reloads: [String: Int] = [:]
    /// `relayguard_dnsbl_lookups_total{zone,result}`.
    private var dnsblLookups: [DNSBLLookupKey: Int] = [:]
    /// Backend reply latency, a cumulative histogram.
    private var latencyBuckets: [Int]
    private var latencyCount = 0
    private var latencySumSeconds = 0.0

    /// Upper bounds of the latency buckets, in seconds (Prometheus `le`).
    static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    init() {
        latencyBuckets = Array(repeating: 0, count: Self.latencyBounds.count)
    }

    private struct DecisionKey: Hashable {
        var event: String
        var decision: String
        var reason: String
    }

    private struct DNSBLLookupKey: Hashable {
        var zone: String
        var result: String
    }

    /// Counts what one decision record says.
    func count(_ record: DecisionRecord) {
        if let decision = record.decision {
            decisions[DecisionKey(event: record.event.rawValue, decision: decision.rawValue, reason: record.reason?.rawValue ?? ""),
                      default: 0] += 1
        }
        switch record.event {
        case .message:
            messages[record.decision?.rawValue ?? "", default: 0] += 1
            if record.decision == .accept { messageBytes += record.bytes ?? 0 }
        case .reload:
            reloads[record.decision == .accept ? "applied" : "failed", default: 0] += 1
        case .connect, .helo, .mail, .rcpt, .data, .command, .tls, .auth, .disconnect, .dnsbl, .error, .control, .shutdown:
            break
        }
        if record.reason == .backendUnavailable { backendFailures += 1 }
    }

    /// A client connection was accepted (refused at connect or not).
    func countConnection() {
        connections += 1
    }

    /// What one client's DNSBL check found, zone by zone.
    func count(_ result: DNSBLResult, sites: [DNSBLSite]) {
        let timedOut = Set(result.timedOutZones), failed = Set(result.failedZones)
        let skipped = Set(result.skippedZones), cached = Set(result.cachedZones)
        let listing = Set(result.score.listingZones)
        for site in sites {
            let zone = site.zone
            let outcome: String = if skipped.contains(zone) { "skipped" }
                else if timedOut.contains(zone) { "timeout" }
                else if failed.contains(zone) { "error" }
                else if cached.contains(zone) { "cached" }
                else if listing.contains(zone) { "listed" }
                else { "not_listed" }
            dnsblLookups[DNSBLLookupKey(zone: zone, result: outcome), default: 0] += 1
        }
    }

    /// The time from a command sent to the backend to its reply.
    func observeBackendLatency(_ latency: Duration) {
        let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
        for (index, bound) in Self.latencyBounds.enumerated() where seconds <= bound {
            latencyBuckets[index] += 1
        }
        latencyCount += 1
        latencySumSeconds += seconds
    }

    /// The gauges a scrape reads from the proxy.
    struct Gauges {
        var sessionsActive: Int
        var tarpitSessions: Int
        var harvestBlocksActive: Int
    }

    /// The exposition, format 0.0.4: HELP and TYPE for each family, then its samples.
    func exposition(_ gauges: Gauges) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP relayguard_\(name) \(help)\n# TYPE relayguard_\(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
            let rendered = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            text += "relayguard_\(name)\(rendered) \(value)\n"
        }
        family("connections_total", "counter", "Client connections accepted, refused at connect or not.")
        sample("connections_total", [], "\(connections)")
        family("sessions_active", "gauge", "Client sessions open now.")
        sample("sessions_active", [], "\(gauges.sessionsActive)")
        family("tarpit_sessions", "gauge", "Sessions whose next reply is held by the tarpit now.")
        sample("tarpit_sessions", [], "\(gauges.tarpitSessions)")
        family("harvest_blocks_active", "gauge", "Clients blocked by the harvest defence now.")
        sample("harvest_blocks_active", [], "\(gauges.harvestBlocksActive)")
        family("decisions_total", "counter", "Decision records, by event, decision and reason (as in the decision log).")
        for (key, value) in decisions.sorted(by: { ($0.key.event, $0.key.decision, $0.key.reason) < ($1.key.event, $1.key.decision, $1.key.reason) }) {
            sample("decisions_total", [("event", key.event), ("decision", key.decision), ("reason", key.reason)], "\(value)")
        }
        family("messages_total", "counter", "Messages whose end of data was answered, by decision.")
        for (decision, value) in messages.sorted(by: { $0.key < $1.key }) {
            sample("messages_total", [("decision", decision)], "\(value)")
        }
        family("message_bytes_total", "counter", "Bytes of accepted messages.")
        sample("message_bytes_total", [], "\(messageBytes)")
        family("dnsbl_lookups_total", "counter", "DNSBL lookups, by zone and result (listed, not_listed, timeout, error, cached, skipped).")
        for (key, value) in dnsblLookups.sorted(by: { ($0.key.zone, $0.key.result) < ($1.key.zone, $1.key.result) }) {
            sample("dnsbl_lookups_total", [("zone", key.zone), ("result", key.result)], "\(value)")
        }
        family("backend_failures_total", "counter", "Times the backend could not be reached or stopped answering.")
        sample("backend_failures_total", [], "\(backendFailures)")
        family("reloads_total", "counter", "Reloads (SIGHUP), by result.")
        for result in ["applied", "failed"] {
            sample("reloads_total", [("result", result)], "\(reloads[result, default: 0])")
        }
        family("backend_reply_seconds", "histogram", "Time from a command sent to the backend to its reply.")
        for (index, bound) in Self.latencyBounds.enumerated() {
            sample("backend_reply_seconds_bucket", [("le", "\(bound)")], "\(latencyBuckets[index])")
        }
        sample("backend_reply_seconds_bucket", [("le", "+Inf")], "\(latencyCount)")
        sample("backend_reply_seconds_sum", [], "\(latencySumSeconds)")
        sample("backend_reply_seconds_count", [], "\(latencyCount)")
        return text
    }

    /// A label value as the text format wants it: backslash, quote and newline escaped.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
