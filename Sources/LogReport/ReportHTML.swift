/// `relayguard report --html`: the summary as one self-contained page to look at.
///
/// Sections: the totals; decisions per hour stacked by reason; sessions per hour; tarpit time
/// held per hour; the top clients (by sessions), the top refused clients and the top refused
/// recipients; DNSBL hits, timeouts and errors per zone. Charts are inline SVG drawn here,
/// with labelled axes and a legend; style is one inline `<style>` element.
///
/// Why self-contained and script-free: the page is mailed around and opened from disk, maybe
/// years later; it must fetch nothing and run nothing. Its Content-Security-Policy says so
/// to the browser too (`default-src 'none'`), so even a mistake in escaping could not load or
/// run anything. Every text from the log is attacker-controlled and goes through
/// `HTMLText.escaped`; the SVG parts are well-formed XML.
///
/// The page ends with `<footer id="report-end">`, so a test can tell a complete page from a
/// truncated one.
public enum ReportHTML {
    public static func render(_ summary: LogSummary, sources: [String], top: Int) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>relayguard report</title>
        <style>\(style)</style>
        </head>
        <body>

        """
        page += header(summary, sources: sources)
        page += section(id: "decisions", title: "Decisions per hour, by reason", body: decisionsChart(summary))
        page += section(id: "sessions", title: "Sessions per hour", body: sessionsChart(summary))
        page += section(id: "tarpit", title: "Tarpit time held", body: tarpitChart(summary))
        page += section(id: "clients", title: "Top clients", body: rankChart(
            summary.clients, title: "Clients with the most sessions", axis: "sessions (connect records)", top: top))
        page += section(id: "refused-clients", title: "Top refused clients", body: rankChart(
            summary.refusedClients, title: "Clients refused most", axis: "refusals (reject, tempfail, drop)", top: top))
        page += section(id: "refused-recipients", title: "Top refused recipients", body: rankChart(
            summary.probedRecipients, title: "Recipients refused most at RCPT", axis: "refused RCPT commands", top: top))
        page += section(id: "dnsbl", title: "DNSBL hits and timeouts per zone", body: dnsblChart(summary, top: top))
        page += "<footer id=\"report-end\">Drawn by relayguard report from \(summary.records) decision records.</footer>\n"
        page += "</body>\n</html>\n"
        return page
    }

    // MARK: - Sections

    private static func header(_ summary: LogSummary, sources: [String]) -> String {
        var text = "<header><h1>relayguard report</h1>\n<p class=\"sources\">"
            + HTMLText.escaped(sources.isEmpty ? "(no input)" : sources.joined(separator: ", ")) + "</p>\n"
        let hours = summary.hours.values.keys.compactMap(ReportTime.hourNumber(ofHourKey:))
        var facts: [(String, String)] = []
        facts.append(("time window (UTC)", summary.window.description))
        if let first = hours.min(), let last = hours.max() {
            facts.append(("records from", "\(hourText(first)) to \(hourText(last + 1))"))
        }
        facts.append(("decision records", "\(summary.records)"))
        if !summary.window.isUnbounded { facts.append(("outside the window, skipped", "\(summary.outsideWindow)")) }
        facts.append(("unreadable lines", "\(summary.unreadable)"
            + (summary.unreadableExamples.isEmpty ? "" : " (first at "
                + summary.unreadableExamples.map(\.description).joined(separator: ", ") + ")")))
        facts.append(("sessions", "\(summary.sessions)"))
        facts.append(("messages accepted", "\(summary.messages)"))
        facts.append(("tarpit time held", "\(ReportText.seconds(summary.tarpitMilliseconds)) over \(summary.tarpittedReplies) delayed replies"))
        text += "<table class=\"facts\">"
        for (name, value) in facts {
            text += "<tr><th>\(HTMLText.escaped(name))</th><td>\(HTMLText.escaped(value))</td></tr>"
        }
        return text + "</table>\n</header>\n"
    }

    private static func section(id: String, title: String, body: String) -> String {
        "<section id=\"\(id)\"><h2>\(HTMLText.escaped(title))</h2>\n\(body)\n</section>\n"
    }

    private static func empty(_ text: String) -> String {
        "<p class=\"empty\">\(HTMLText.escaped(text))</p>"
    }

    /// The hours of the summary as buckets, or nil when no record had a readable hour.
    private static func buckets(_ summary: LogSummary) -> (HourBuckets, [(hour: Int, counts: HourlyCounts)])? {
        let hours = summary.hours.values.compactMap { key, counts in
            ReportTime.hourNumber(ofHourKey: key).map { (hour: $0, counts: counts) }
        }
        guard let first = hours.map(\.hour).min(), let last = hours.map(\.hour).max() else { return nil }
        return (HourBuckets(first: first, last: last), hours)
    }

    /// Sums `value` per bucket for each series.
    private static func bucketed(_ axis: HourBuckets, _ hours: [(hour: Int, counts: HourlyCounts)], series: Int,
                                 value: (HourlyCounts) -> [Double]) -> [(start: Int, values: [Double])] {
        var values = [[Double]](repeating: [Double](repeating: 0, count: series), count: axis.count)
        for (hour, counts) in hours {
            let index = axis.index(of: hour)
            for (seriesIndex, amount) in value(counts).enumerated() { values[index][seriesIndex] += amount }
        }
        return values.enumerated().map { (start: axis.startHour(of: $0.offset), values: $0.element) }
    }

    private static func decisionsChart(_ summary: LogSummary) -> String {
        guard let (axis, hours) = buckets(summary), summary.reasons.values.values.contains(where: { $0.total > 0 }) else {
            return empty("No decisions in the log.")
        }
        // The largest reasons get their own colour; the rest share "other reasons".
        let ranked = summary.reasons.values.sorted { $0.value.total != $1.value.total ? $0.value.total > $1.value.total : $0.key < $1.key }
        let ownColours = ranked.count <= ChartSeries.palette.count + 1 ? ranked.count : ChartSeries.palette.count
        var series: [ChartSeries] = []
        var seriesOfReason: [String: Int] = [:]
        var colours = ChartSeries.palette.makeIterator()
        for (reason, _) in ranked.prefix(ownColours) {
            seriesOfReason[reason] = series.count
            series.append(ChartSeries(name: reason, color: reason == "accepted" ? ChartSeries.acceptedColor : colours.next() ?? ChartSeries.otherColor))
        }
        let otherIndex = series.count
        let needsOther = ranked.count > ownColours || summary.reasons.overflow > 0
        if needsOther { series.append(ChartSeries(name: "other reasons", color: ChartSeries.otherColor)) }
        let chart = SVGTimeChart(
            title: "Decisions per hour, stacked by reason", valueAxisTitle: "decisions", series: series,
            buckets: bucketed(axis, hours, series: series.count) { counts in
                var values = [Double](repeating: 0, count: series.count)
                for (reason, count) in counts.decisions {
                    values[seriesOfReason[reason] ?? otherIndex] += Double(count)
                }
                return values
            },
            hoursPerBucket: axis.hoursPerBucket, valueText: { "\(Int($0))" })
        return chart.render()
    }

    private static func sessionsChart(_ summary: LogSummary) -> String {
        guard summary.sessions > 0, let (axis, hours) = buckets(summary) else { return empty("No sessions in the log.") }
        let chart = SVGTimeChart(
            title: "Sessions per hour", valueAxisTitle: "sessions",
            series: [ChartSeries(name: "sessions (connect records)", color: ChartSeries.palette[0])],
            buckets: bucketed(axis, hours, series: 1) { [Double($0.sessions)] },
            hoursPerBucket: axis.hoursPerBucket, valueText: { "\(Int($0))" })
        return "<p>Sessions: \(summary.sessions); messages accepted: \(summary.messages).</p>\n" + chart.render()
    }

    private static func tarpitChart(_ summary: LogSummary) -> String {
        let total = "<p>\(ReportText.seconds(summary.tarpitMilliseconds)) held in total over \(summary.tarpittedReplies) delayed replies.</p>\n"
        guard summary.tarpitMilliseconds > 0, let (axis, hours) = buckets(summary) else { return total }
        let chart = SVGTimeChart(
            title: "Tarpit time held per hour", valueAxisTitle: "seconds held",
            series: [ChartSeries(name: "tarpit_ms, summed", color: ChartSeries.palette[2])],
            buckets: bucketed(axis, hours, series: 1) { [Double($0.tarpitMilliseconds) / 1000] },
            hoursPerBucket: axis.hoursPerBucket, valueText: { ChartScale.decimal($0, digits: 3) + " s" }, integral: false)
        return total + chart.render()
    }

    private static func rankChart(_ counter: HeavyHitters, title: String, axis: String, top: Int) -> String {
        let entries = counter.top(top)
        guard !entries.isEmpty else { return empty("None in the log.") }
        var chart = SVGRankChart(title: title, valueAxisTitle: axis,
                                 series: [ChartSeries(name: axis, color: ChartSeries.palette[0])],
                                 rows: entries.map { (label: $0.key, values: [Double($0.count)]) })
        chart.totalText = { entries[$0].overcount > 0 ? "~" : "" }
        var text = chart.render()
        if !counter.isExact {
            let bound = entries.map(\.overcount).max() ?? 0
            text += "\n<p class=\"note\">More than \(counter.capacity) distinct values: counting was approximate. "
                + (bound > 0 ? "A count marked ~ may be too high by up to \(bound).</p>" : "The counts shown are exact.</p>")
        }
        return text
    }

    private static func dnsblChart(_ summary: LogSummary, top: Int) -> String {
        var zones: [String: [Double]] = [:]
        for (zone, hits) in summary.dnsblZones.values { zones[zone, default: [0, 0, 0]][0] += Double(hits) }
        for (zone, count) in summary.dnsblTimeouts.values { zones[zone, default: [0, 0, 0]][1] += Double(count) }
        for (zone, count) in summary.dnsblErrors.values { zones[zone, default: [0, 0, 0]][2] += Double(count) }
        guard !zones.isEmpty else { return empty("No DNSBL hits, timeouts or errors in the log.") }
        let rows = zones.sorted {
            let first = $0.value.reduce(0, +), second = $1.value.reduce(0, +)
            return first != second ? first > second : $0.key < $1.key
        }.prefix(top).map { (label: $0.key, values: $0.value) }
        let chart = SVGRankChart(
            title: "DNSBL hits, timeouts and errors per zone", valueAxisTitle: "lookups",
            series: [ChartSeries(name: "hits (client listed)", color: ChartSeries.palette[1]),
                     ChartSeries(name: "timeouts", color: ChartSeries.palette[4]),
                     ChartSeries(name: "errors (SERVFAIL, bad reply)", color: ChartSeries.palette[5])],
            rows: Array(rows))
        return chart.render()
    }

    /// `2026-11-30 08:00`.
    private static func hourText(_ hour: Int) -> String {
        let key = ReportTime.hourKey(ofHourNumber: hour)
        return key.prefix(10) + " " + key.suffix(2) + ":00"
    }

    private static let style = """
    body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;background:#fff;\
    margin:0 auto;padding:16px 24px;max-width:1000px}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 8px}
    header,section{border-bottom:1px solid #ddd;padding:12px 0}
    .sources{color:#555;margin:0 0 8px;word-break:break-all}
    table.facts{border-collapse:collapse}table.facts th{text-align:left;font-weight:normal;color:#555;padding:1px 16px 1px 0}
    table.facts td{font-variant-numeric:tabular-nums}
    svg.chart{display:block;max-width:100%;height:auto}
    .grid{stroke:#e4e4e4;stroke-width:1}.axis{stroke:#444;stroke-width:1}
    .tick,.legend-text,.value{font-size:11px;fill:#333}.label{font-size:12px;fill:#222}
    .axis-title{font-size:12px;fill:#222;font-weight:bold}
    .empty,.note{color:#666;font-style:italic}
    footer{color:#777;font-size:12px;padding:12px 0}
    """
}
