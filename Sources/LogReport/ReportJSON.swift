import DecisionLog
/// `relayguard report --json`: the summary as one JSON document for scripts.
///
///     {"sources":["a.jsonl"],"lines":N,"records":N,"unreadable":N,"unreadable_examples":["a.jsonl:17"],
///      "decisions":[{"reason":"relay_denied","accept":0,"reject":120,"tempfail":0,"drop":0,"other":0,"total":120}],
///      "decisions_overflow":0,
///      "top_clients":[{"client":"192.0.2.10","count":40,"overcount":0}],"clients_exact":true,
///      "top_refused_clients":[{"client":"203.0.113.5","count":120,"overcount":0}],
///      "refused_clients_exact":true,
///      "top_probed_recipients":[{"rcpt":"a@b","count":3,"overcount":0}],
///      "probed_recipients_exact":true,
///      "dnsbl_hits":[{"zone":"zen.spamhaus.org","hits":4}],
///      "dnsbl_unanswered":[{"zone":"slow.example","dnsbl_timeout":2,"dnsbl_error":0}],
///      "tarpit_ms":12345,"tarpitted_replies":17,
///      "per_hour":[{"hour":"2026-11-30T08","sessions":12,"messages":3}],
///      "sessions":12,"messages":3}
///
/// With `--since` / `--until` it also has `"since"` and `"until"` (the log's time format, or
/// null) and `"outside_window"` (records skipped).
///
/// Lists are sorted as in the text report (largest first; hours in time order). `overcount` is
/// how much a count may be too high (0 while counting is exact).
public enum ReportJSON {
    public static func render(_ summary: LogSummary, sources: [String], top: Int) -> String {
        var text = "{\"sources\":[" + sources.map(quoted).joined(separator: ",") + "]"
        text += ",\"lines\":\(summary.lines),\"records\":\(summary.records),\"unreadable\":\(summary.unreadable)"
        text += ",\"unreadable_examples\":[" + summary.unreadableExamples.map { quoted($0.description) }.joined(separator: ",") + "]"

        let reasons = summary.reasons.values.sorted { $0.value.total != $1.value.total ? $0.value.total > $1.value.total : $0.key < $1.key }
        text += ",\"decisions\":[" + reasons.map { reason, counts in
            "{\"reason\":\(quoted(reason)),\"accept\":\(counts.accept),\"reject\":\(counts.reject),"
                + "\"tempfail\":\(counts.tempfail),\"drop\":\(counts.drop),\"other\":\(counts.other),\"total\":\(counts.total)}"
        }.joined(separator: ",") + "]"
        text += ",\"decisions_overflow\":\(summary.reasons.overflow)"

        text += ",\"top_clients\":" + hitters(summary.clients, key: "client", top: top)
        text += ",\"clients_exact\":\(summary.clients.isExact)"
        text += ",\"top_refused_clients\":" + hitters(summary.refusedClients, key: "client", top: top)
        text += ",\"refused_clients_exact\":\(summary.refusedClients.isExact)"
        text += ",\"top_probed_recipients\":" + hitters(summary.probedRecipients, key: "rcpt", top: top)
        text += ",\"probed_recipients_exact\":\(summary.probedRecipients.isExact)"

        let zones = summary.dnsblZones.values.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        text += ",\"dnsbl_hits\":[" + zones.map { "{\"zone\":\(quoted($0.key)),\"hits\":\($0.value)}" }.joined(separator: ",") + "]"

        let troubled = Set(summary.dnsblTimeouts.values.keys).union(summary.dnsblErrors.values.keys).sorted()
        text += ",\"dnsbl_unanswered\":[" + troubled.map { zone in
            "{\"zone\":\(quoted(zone)),\"dnsbl_timeout\":\(summary.dnsblTimeouts.values[zone] ?? 0),"
                + "\"dnsbl_error\":\(summary.dnsblErrors.values[zone] ?? 0)}"
        }.joined(separator: ",") + "]"

        text += ",\"tarpit_ms\":\(summary.tarpitMilliseconds),\"tarpitted_replies\":\(summary.tarpittedReplies)"

        let hours = summary.hours.values.filter(\.value.hasSessionsOrMessages).sorted { $0.key < $1.key }
        text += ",\"per_hour\":[" + hours.map {
            "{\"hour\":\(quoted($0.key)),\"sessions\":\($0.value.sessions),\"messages\":\($0.value.messages)}"
        }.joined(separator: ",") + "]"
        text += ",\"sessions\":\(summary.sessions),\"messages\":\(summary.messages)"
        if !summary.window.isUnbounded {
            func bound(_ instant: Int?) -> String { instant.map { quoted(ReportTime.format($0)) } ?? "null" }
            text += ",\"since\":\(bound(summary.window.since)),\"until\":\(bound(summary.window.until))"
            text += ",\"outside_window\":\(summary.outsideWindow)"
        }
        text += "}\n"
        return text
    }

    private static func hitters(_ counter: HeavyHitters, key: String, top: Int) -> String {
        "[" + counter.top(top).map {
            "{\"\(key)\":\(quoted($0.key)),\"count\":\($0.count),\"overcount\":\($0.overcount)}"
        }.joined(separator: ",") + "]"
    }

    /// A JSON string literal, escaped as the decision log escapes (one escaping for all).
    static func quoted(_ value: String) -> String { JSONString.quoted(value) }
}
