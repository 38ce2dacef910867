import Testing
@testable import LogReport

@Suite("HTML report")
struct ReportHTMLTests {
    static func summarise(_ lines: [String], window: ReportWindow = ReportWindow()) -> LogSummary {
        var summary = LogSummary(window: window)
        for (index, line) in lines.enumerated() {
            summary.add(line: Array(line.utf8), at: LineLocation(source: "d.jsonl", line: index + 1))
        }
        return summary
    }

    /// Every `<svg ...>...</svg>` of a page.
    static func svgParts(_ page: String) -> [String] {
        var parts: [String] = []
        var rest = page[...]
        while let start = rest.firstRange(of: "<svg "), let end = rest[start.upperBound...].firstRange(of: "</svg>") {
            parts.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return parts
    }

    /// The names of every tag in the page (`svg`, `/svg`, `!DOCTYPE`).
    static func tagNames(_ page: String) -> Set<String> {
        var names: Set<String> = []
        for piece in page.split(separator: "<", omittingEmptySubsequences: false).dropFirst() {
            names.insert(String(piece.prefix { !" >\n".contains($0) }))
        }
        return names
    }

    static let ownTags: Set<String> = [
        "!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title", "style", "/style", "body", "/body",
        "header", "/header", "h1", "/h1", "h2", "/h2", "p", "/p", "table", "/table", "tr", "/tr", "th", "/th", "td", "/td",
        "section", "/section", "footer", "/footer", "svg", "/svg", "g", "/g", "line", "rect", "/rect", "text", "/text",
    ]

    static let hostile: [String] = [
        #"{"ts":"2026-11-30T08:00:00.000Z","session":"h1","event":"connect","client":"<script>alert(1)</script>","decision":"accept","reason":"accepted"}"#,
        #"{"ts":"2026-11-30T08:00:01.000Z","session":"h1","event":"rcpt","client":"<script>alert(1)</script>","decision":"reject","reason":"unknown_recipient","rcpt":"\"><img src=x onerror=alert(1)>@local.example","tarpit_ms":1500}"#,
        #"{"ts":"2026-11-30T08:00:02.000Z","session":"h1","event":"rcpt","client":"<script>alert(1)</script>","decision":"reject","reason":"</text></svg><script>x</script>","rcpt":"o'hara&co\u0001\u202Eevil@local.example"}"#,
        #"{"ts":"2026-11-30T08:00:03.000Z","session":"h1","event":"dnsbl","client":"<script>alert(1)</script>","decision":"reject","reason":"dnsbl_listed","dnsbl_hits":["<b>zone</b>=127.0.0.2"],"detail":"slow\"zone timed out, bad&zone failed"}"#,
    ]

    @Test("the SVG parts are well-formed XML, hostile log text included")
    func wellFormed() {
        for page in [ReportHTML.render(Self.summarise(fixtureLines), sources: ["d.jsonl"], top: 10),
                     ReportHTML.render(Self.summarise(Self.hostile), sources: ["<evil>.jsonl"], top: 10)] {
            let parts = Self.svgParts(page)
            #expect(parts.count >= 7, "a chart per figure")
            for part in parts {
                let problem = xmlWellFormednessProblem(part)
                #expect(problem == nil, "\(problem ?? ""): \(part.prefix(200))")
            }
        }
    }

    @Test("hostile names from the log stay text: escaped, never markup")
    func escaping() {
        let page = ReportHTML.render(Self.summarise(Self.hostile), sources: ["<evil>.jsonl"], top: 10)
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>"))
        #expect(!page.contains("<evil>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@local.example"))
        #expect(page.contains("o&#39;hara&amp;co\u{FFFD}\u{FFFD}evil@local.example"), "control and bidi characters replaced")
        #expect(page.contains("&lt;/text&gt;&lt;/svg&gt;&lt;script&gt;x&lt;/script&gt;"), "a hostile reason in the legend")
        #expect(page.contains("slow&quot;zone") && page.contains("bad&amp;zone"), "DNSBL zones from detail")
        #expect(Self.tagNames(page).subtracting(Self.ownTags).isEmpty, "\(Self.tagNames(page).subtracting(Self.ownTags))")
    }

    @Test("self-contained: nothing fetched, nothing run")
    func selfContained() {
        let page = ReportHTML.render(Self.summarise(fixtureLines), sources: ["d.jsonl"], top: 10)
        #expect(page.hasPrefix("<!DOCTYPE html>\n"))
        #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
        for forbidden in ["<script", "src=", "href=", "url(", "@import", "<link", "<iframe", "<object", "<img"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
        #expect(!page.contains(try! Regex(#"\son[a-z]+\s*="#)), "no event handler attribute")
        #expect(page.ranges(of: "http").count == page.ranges(of: "xmlns=\"http://www.w3.org/2000/svg\"").count + 1,
                "only the SVG namespace and the CSP's http-equiv")
        #expect(page.hasSuffix("<footer id=\"report-end\">Drawn by relayguard report from 12 decision records.</footer>\n</body>\n</html>\n"))
    }

    @Test("every figure has its section, axis titles and legend")
    func sections() {
        let page = ReportHTML.render(Self.summarise(fixtureLines), sources: ["d.jsonl"], top: 10)
        for id in ["decisions", "sessions", "tarpit", "clients", "refused-clients", "refused-recipients", "dnsbl"] {
            #expect(page.contains("<section id=\"\(id)\">"), "\(id)")
        }
        #expect(page.contains(">decisions</text>"), "value axis title")
        #expect(page.contains(">time (UTC), one bar per hour</text>"), "time axis title")
        #expect(page.contains(">11-30 08:00</text>") && page.contains(">11-30 09:00</text>"), "hour labels")
        for reason in ["accepted", "unknown_recipient", "dnsbl_listed", "relay_denied"] {
            #expect(page.contains("class=\"legend-text\" x=\"") && page.contains(">\(reason)</text>"), "legend \(reason)")
        }
        #expect(page.contains("fill=\"\(ChartSeries.acceptedColor)\""), "accepted is green")
        #expect(page.contains("6.000 s held in total over 3 delayed replies"))
        #expect(page.contains("<title>2026-11-30 08:00: tarpit_ms, summed 6 s</title>"))
        #expect(page.contains(">203.0.113.5</text>"), "a refused client's label")
        #expect(page.contains(">bob@local.example</text>"), "a refused recipient's label")
        #expect(page.contains(">zen.spamhaus.org</text>"), "a DNSBL zone's label")
    }

    @Test("an empty log gives a page that says so")
    func empty() {
        let page = ReportHTML.render(LogSummary(), sources: [], top: 10)
        #expect(page.contains("No decisions in the log."))
        #expect(page.contains("No sessions in the log."))
        #expect(page.contains("No DNSBL hits, timeouts or errors in the log."))
        #expect(Self.svgParts(page).isEmpty)
        #expect(page.contains("<footer id=\"report-end\">"))
    }

    @Test("DNSBL timeouts and errors per zone come from the dnsbl records' detail")
    func dnsblTimeouts() throws {
        let summary = Self.summarise([
            #"{"ts":"2026-11-30T08:00:00.000Z","session":"a","event":"dnsbl","client":"192.0.2.1","decision":"accept","reason":"dnsbl_timeout","dnsbl_score":0,"detail":"slow.test timed out"}"#,
            #"{"ts":"2026-11-30T08:00:01.000Z","session":"b","event":"dnsbl","client":"192.0.2.2","decision":"accept","reason":"dnsbl_timeout","dnsbl_score":0,"detail":"slow.test timed out, broken.test failed"}"#,
            #"{"ts":"2026-11-30T08:00:02.000Z","event":"dnsbl","reason":"dnsbl_error","detail":"DNSBL zone dead.test DISABLED: it lists 127.0.0.1 (answer 127.0.0.2); its answers are ignored"}"#,
            #"{"ts":"2026-11-30T08:00:03.000Z","session":"c","event":"rcpt","client":"192.0.2.3","decision":"reject","reason":"relay_denied","detail":"x.test timed out"}"#,
        ])
        #expect(summary.dnsblTimeouts.values == ["slow.test": 2])
        #expect(summary.dnsblErrors.values == ["broken.test": 1])
        let page = ReportHTML.render(summary, sources: [], top: 10)
        #expect(page.contains("<title>slow.test: timeouts 2</title>"))
        #expect(page.contains("<title>broken.test: errors (SERVFAIL, bad reply) 1</title>"))
        #expect(!page.contains(">dead.test<") && !page.contains(">x.test<"))
        let json = ReportJSON.render(summary, sources: [], top: 10)
        #expect(json.contains(#""dnsbl_unanswered":[{"zone":"broken.test","dnsbl_timeout":0,"dnsbl_error":1},{"zone":"slow.test","dnsbl_timeout":2,"dnsbl_error":0}]"#))
    }

    @Test("a long span is drawn in buckets of several hours, never more than a week of bars")
    func buckets() {
        let day = HourBuckets(first: 1000, last: 1023)
        #expect(day == HourBuckets(first: 1000, last: 1023))
        #expect(day.hoursPerBucket == 1 && day.count == 24 && day.start == 1000)
        let tenDays = HourBuckets(first: 1000, last: 1239)
        #expect(tenDays.hoursPerBucket == 2 && tenDays.count == 120)
        let year = HourBuckets(first: 0, last: 365 * 24 - 1)
        #expect(year.hoursPerBucket == 72 && year.count <= HourBuckets.maxBuckets + 1)
        let hostile = HourBuckets(first: ReportTime.hourNumber(ofHourKey: "0001-01-01T00")!,
                                  last: ReportTime.hourNumber(ofHourKey: "9999-12-31T23")!)
        #expect(hostile.count <= HourBuckets.maxBuckets + 1)
        #expect(hostile.index(of: ReportTime.hourNumber(ofHourKey: "9999-12-31T23")!) == hostile.count - 1)
        let summary = Self.summarise([
            #"{"ts":"0001-01-01T00:00:00.000Z","event":"connect","decision":"accept","reason":"accepted"}"#,
            #"{"ts":"9999-12-31T23:00:00.000Z","event":"connect","decision":"accept","reason":"accepted"}"#,
        ])
        let page = ReportHTML.render(summary, sources: [], top: 10)
        #expect(Self.svgParts(page).allSatisfy { $0.ranges(of: "<rect").count < 400 })
    }

    @Test("value axes step by 1, 2 or 5 times a power of ten")
    func scale() {
        #expect(ChartScale(largest: 7) == ChartScale(largest: 7))
        #expect((ChartScale(largest: 7).step, ChartScale(largest: 7).maximum) == (2, 8))
        #expect((ChartScale(largest: 1234).step, ChartScale(largest: 1234).maximum) == (500, 1500))
        #expect(ChartScale(largest: 0.3).step == 0.1 && abs(ChartScale(largest: 0.3).maximum - 0.3) < 1e-9)
        #expect((ChartScale(largest: 2, integral: true).step, ChartScale(largest: 2, integral: true).maximum) == (1, 2))
        #expect(ChartScale(largest: 0).ticks == [0, 0.5, 1])
        #expect(ChartScale(largest: 20_000_000).label(15_000_000) == "15M")
        #expect(ChartScale(largest: 50_000).label(25_000) == "25k")
        #expect(ChartScale(largest: 0.3).label(0.2) == "0.2")
    }
}

@Suite("XML well-formedness checker")
struct XMLWellFormednessTests {
    @Test("it finds what is wrong", arguments: [
        ("<svg><text>a</svg>", false), ("<svg a=\"1\" a=\"2\"/>", false), ("<svg a=1/>", false),
        ("<svg>a & b</svg>", false), ("<svg a=\"<\"/>", false), ("<svg/><svg/>", false), ("<svg>\u{1}</svg>", false),
        ("<svg><text x=\"1\">a &amp; b &#39; &#x41;</text></svg>", true), ("<svg/>", true),
    ])
    func checker(_ document: String, _ wellFormed: Bool) {
        #expect((xmlWellFormednessProblem(document) == nil) == wellFormed, "\(document)")
    }
}
