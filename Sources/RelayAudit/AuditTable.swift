/// The audit as a table for a person: a heading line, one row per case (case, MAIL, RCPT,
/// reply, verdict) and the final line `N passed, M failed`.
///
/// Columns are padded to their widest cell; a reply longer than `maxReplyWidth` characters is
/// cut with `...` (the JSON output keeps it whole).
public enum AuditTable {
    public static let maxReplyWidth = 64

    public static func render(_ report: AuditReport) -> String {
        var text = "relayguard audit of \(report.target) (server name \(report.site.serverName), "
            + "local domain \(report.site.localDomain), external domain \(report.site.externalDomain))\n"
        var rows: [[String]] = [["CASE", "MAIL FROM", "RCPT TO", "REPLY", "VERDICT"]]
        for result in report.results {
            rows.append([result.auditCase.name, result.auditCase.mail, result.auditCase.rcpt,
                         shortened(result.outcome.replyDescription), result.verdict.label])
        }
        var widths = [Int](repeating: 0, count: 5)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - cell.count + 2)
                }
            }
            text += line + "\n"
        }
        text += report.summaryLine + "\n"
        return text
    }

    /// The reply cut to `maxReplyWidth` characters, with `...` when cut.
    static func shortened(_ reply: String) -> String {
        guard reply.count > maxReplyWidth else { return reply }
        return String(reply.prefix(maxReplyWidth - 3)) + "..."
    }
}
