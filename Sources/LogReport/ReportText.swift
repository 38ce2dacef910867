/// `relayguard report` for a person: the totals, then one section per figure.
///
///     relayguard report: 1234 lines, 1230 decision records, 4 unreadable (first at a.jsonl:17, ...)
///
///     Decisions by reason
///       reason                       accept  reject  tempfail  drop  total
///       relay_denied                      0     120         0     0    120
///     Top refused clients
///       count  client
///     ...
///
/// Approximate counts (more distinct clients or recipients than counters) are marked `~` with
/// the bound stated under the section.
public enum ReportText {
    public static func render(_ summary: LogSummary, sources: [String], top: Int) -> String {
        var text = "relayguard report of \(sources.joined(separator: ", ")): \(summary.lines) lines, "
            + "\(summary.records) decision records, \(summary.unreadable) unreadable"
        if !summary.unreadableExamples.isEmpty {
            text += " (first at " + summary.unreadableExamples.map(\.description).joined(separator: ", ")
            text += summary.unreadable > summary.unreadableExamples.count ? ", ...)" : ")"
        }
        text += "\n"
        if !summary.window.isUnbounded {
            text += "Time window: \(summary.window.description) (UTC); \(summary.outsideWindow) records outside it skipped\n"
        }

        text += "\nDecisions by reason\n"
        let reasons = summary.reasons.values.sorted { $0.value.total != $1.value.total ? $0.value.total > $1.value.total : $0.key < $1.key }
        if reasons.isEmpty {
            text += "  (none)\n"
        } else {
            var rows: [[String]] = [["reason", "accept", "reject", "tempfail", "drop", "other", "total"]]
            for (reason, counts) in reasons {
                rows.append([reason, "\(counts.accept)", "\(counts.reject)", "\(counts.tempfail)", "\(counts.drop)",
                             "\(counts.other)", "\(counts.total)"])
            }
            text += table(rows)
        }
        if summary.reasons.overflow > 0 {
            text += "  (\(summary.reasons.overflow) more records with reasons beyond the first \(summary.reasons.capacity))\n"
        }

        text += "\nTop clients (sessions)\n" + hitters(summary.clients, column: "client", top: top)
        text += "\nTop refused clients\n" + hitters(summary.refusedClients, column: "client", top: top)
        text += "\nTop probed recipients (refused RCPT)\n" + hitters(summary.probedRecipients, column: "recipient", top: top)

        text += "\nDNSBL hits per zone\n"
        let zones = summary.dnsblZones.values.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        if zones.isEmpty {
            text += "  (none)\n"
        } else {
            var rows: [[String]] = [["hits", "zone"]]
            for (zone, hits) in zones { rows.append(["\(hits)", zone]) }
            text += table(rows, rightAligned: [0])
        }
        let troubled = Set(summary.dnsblTimeouts.values.keys).union(summary.dnsblErrors.values.keys).sorted()
        if !troubled.isEmpty {
            text += "\nDNSBL lookups without an answer per zone (counted as not listed)\n"
            var rows: [[String]] = [["dnsbl_timeout", "dnsbl_error", "zone"]]
            for zone in troubled {
                rows.append(["\(summary.dnsblTimeouts.values[zone] ?? 0)", "\(summary.dnsblErrors.values[zone] ?? 0)", zone])
            }
            text += table(rows, rightAligned: [0, 1])
        }

        text += "\nTarpit\n  \(seconds(summary.tarpitMilliseconds)) in total over \(summary.tarpittedReplies) delayed replies\n"

        text += "\nSessions and messages per hour (UTC)\n"
        let hours = summary.hours.values.filter(\.value.hasSessionsOrMessages).sorted { $0.key < $1.key }
        if hours.isEmpty {
            text += "  (none)\n"
        } else {
            var rows: [[String]] = [["hour", "sessions", "messages"]]
            for (hour, counts) in hours { rows.append([hour + ":00", "\(counts.sessions)", "\(counts.messages)"]) }
            rows.append(["total", "\(summary.sessions)", "\(summary.messages)"])
            text += table(rows, rightAligned: [1, 2])
        }
        if summary.recordsWithoutHour > 0 {
            text += "  (\(summary.recordsWithoutHour) records with an unreadable ts are in the total only)\n"
        }
        return text
    }

    /// `12.345 s` from milliseconds.
    static func seconds(_ milliseconds: Int) -> String {
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
    }

    private static func hitters(_ counter: HeavyHitters, column: String, top: Int) -> String {
        let entries = counter.top(top)
        guard !entries.isEmpty else { return "  (none)\n" }
        var rows: [[String]] = [["count", column]]
        for entry in entries {
            rows.append([entry.overcount > 0 ? "~\(entry.count)" : "\(entry.count)", entry.key])
        }
        var text = table(rows, rightAligned: [0])
        if !counter.isExact {
            text += "  (approximate: more than \(counter.capacity) distinct values; ~N may be too high by up to "
                + "\(entries.map(\.overcount).max() ?? 0))\n"
        }
        return text
    }

    /// Rows as aligned columns, indented by two spaces; numeric columns right-aligned.
    private static func table(_ rows: [[String]], rightAligned: Set<Int> = [1, 2, 3, 4, 5, 6]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        var text = ""
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                line += "  " + (rightAligned.contains(column) ? padding + cell : (column == row.count - 1 ? cell : cell + padding))
            }
            text += line + "\n"
        }
        return text
    }
}
