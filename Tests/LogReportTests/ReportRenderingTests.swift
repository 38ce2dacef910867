import Testing
import LogReport

@Suite("Report rendering")
struct ReportRenderingTests {
    static let summary: LogSummary = {
        var summary = LogSummary()
        for (index, line) in fixtureLines.enumerated() {
            summary.add(line: Array(line.utf8), at: LineLocation(source: "d.jsonl", line: index + 1))
        }
        return summary
    }()

    @Test("the text report has every section with its figures")
    func text() {
        let text = ReportText.render(Self.summary, sources: ["d.jsonl"], top: 2)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "relayguard report of d.jsonl: 15 lines, 12 decision records, 3 unreadable (first at d.jsonl:6, d.jsonl:15, d.jsonl:16)")
        #expect(lines.contains("  reason                       accept  reject  tempfail  drop  other  total"))
        #expect(lines.contains("  accepted                          4       0         0     0      0      4"))
        #expect(lines.contains("  too_many_invalid_recipients       0       0         0     1      0      1"))
        #expect(lines.contains("      3  203.0.113.5"))
        let refused = text.split(separator: "\nTop refused clients\n")[1].split(separator: "\n\n")[0]
        #expect(refused.contains("203.0.113.5") && refused.contains("192.0.2.10"))
        #expect(!refused.contains("198.51.100.7"), "top 2 only")
        #expect(lines.contains("      2  bob@local.example"))
        #expect(lines.contains("     1  zen.spamhaus.org"))
        #expect(lines.contains("  6.000 s in total over 3 delayed replies"))
        #expect(lines.contains("  2026-11-30T08:00         2         0"))
        #expect(lines.contains("  2026-11-30T09:00         1         1"))
        #expect(lines.contains("  total                    3         1"))
    }

    @Test("an empty report says none")
    func empty() {
        let text = ReportText.render(LogSummary(), sources: ["stdin"], top: 10)
        #expect(text.hasPrefix("relayguard report of stdin: 0 lines, 0 decision records, 0 unreadable\n"))
        #expect(text.split(separator: "\n").filter { $0 == "  (none)" }.count == 6)
        #expect(text.contains("0.000 s in total over 0 delayed replies"))
    }

    @Test("the JSON report carries the same figures")
    func json() throws {
        let json = ReportJSON.render(Self.summary, sources: ["d.jsonl"], top: 10)
        let fields = try JSONObjectParser.parseObject(Array(json.utf8.dropLast()))
        func field(_ key: String) -> JSONValue? { fields.first { $0.key == key }?.value }
        #expect(field("lines") == .integer(15))
        #expect(field("records") == .integer(12))
        #expect(field("unreadable") == .integer(3))
        #expect(field("unreadable_examples") == .array([.string("d.jsonl:6"), .string("d.jsonl:15"), .string("d.jsonl:16")]))
        #expect(field("tarpit_ms") == .integer(6000))
        #expect(field("sessions") == .integer(3))
        #expect(field("messages") == .integer(1))
        #expect(field("refused_clients_exact") == .bool(true))
        guard case .array(let clients) = field("top_refused_clients") else {
            Issue.record("no top_refused_clients array")
            return
        }
        #expect(clients.first == .object([JSONField(key: "client", value: .string("203.0.113.5")),
                                          JSONField(key: "count", value: .integer(3)), JSONField(key: "overcount", value: .integer(0))]))
        guard case .array(let hours) = field("per_hour") else {
            Issue.record("no per_hour array")
            return
        }
        #expect(hours.count == 2)
        #expect(field("dnsbl_hits") == .array([
            .object([JSONField(key: "zone", value: .string("bl.spamcop.net")), JSONField(key: "hits", value: .integer(1))]),
            .object([JSONField(key: "zone", value: .string("zen.spamhaus.org")), JSONField(key: "hits", value: .integer(1))]),
        ]))
    }

    @Test("seconds with three decimals")
    func seconds() {
        let text = ReportText.render(LogSummary(), sources: [], top: 1)
        #expect(text.contains("0.000 s"))
    }
}
