import Testing
@testable import LogReport

@Suite("Report time: ISO 8601 and relative bounds")
struct ReportTimeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var milliseconds: Int?
        var testDescription: String { name }
    }

    static let now = 1_796_371_200_000    // 2026-12-04T08:00:00Z

    static let isoCases: [Case] = [
        Case(name: "the log's own format", text: "2026-11-30T08:00:00.123Z", milliseconds: 1_796_025_600_123),
        Case(name: "seconds and Z", text: "2026-12-04T08:00:00Z", milliseconds: 1_796_371_200_000),
        Case(name: "a date alone is midnight UTC", text: "2026-12-04", milliseconds: 1_796_342_400_000),
        Case(name: "minutes only", text: "2026-12-04T08:00", milliseconds: 1_796_371_200_000),
        Case(name: "no zone is UTC", text: "2026-12-04T08:00:00", milliseconds: 1_796_371_200_000),
        Case(name: "a space for the T", text: "2026-12-04 08:00:00Z", milliseconds: 1_796_371_200_000),
        Case(name: "an offset east of UTC", text: "2026-12-04T09:00:00+01:00", milliseconds: 1_796_371_200_000),
        Case(name: "an offset west of UTC without colon", text: "2026-12-04T03:00:00-0500", milliseconds: 1_796_371_200_000),
        Case(name: "one fractional digit", text: "2026-11-30T08:00:00.1Z", milliseconds: 1_796_025_600_100),
        Case(name: "six fractional digits are cut to milliseconds", text: "2026-11-30T08:00:00.123456Z", milliseconds: 1_796_025_600_123),
        Case(name: "a leap day", text: "2000-02-29T23:59:59.999Z", milliseconds: 951_868_799_999),
        Case(name: "the first of March in a leap year", text: "2024-03-01", milliseconds: 1_709_251_200_000),
        Case(name: "before the epoch", text: "1969-12-31T23:00:00Z", milliseconds: -3_600_000),
        Case(name: "the first day of year one", text: "0001-01-01", milliseconds: -62_135_596_800_000),
        Case(name: "the last second of year 9999", text: "9999-12-31T23:59:59Z", milliseconds: 253_402_300_799_000),
        Case(name: "empty", text: "", milliseconds: nil),
        Case(name: "year zero", text: "0000-01-01", milliseconds: nil),
        Case(name: "month 13", text: "2026-13-01", milliseconds: nil),
        Case(name: "February 29 in a common year", text: "2026-02-29", milliseconds: nil),
        Case(name: "February 29 in 1900", text: "1900-02-29", milliseconds: nil),
        Case(name: "hour 24", text: "2026-12-04T24:00Z", milliseconds: nil),
        Case(name: "a two-digit year", text: "26-12-04", milliseconds: nil),
        Case(name: "an hour without minutes", text: "2026-12-04T08", milliseconds: nil),
        Case(name: "a dot without digits", text: "2026-12-04T08:00:00.Z", milliseconds: nil),
        Case(name: "text after Z", text: "2026-12-04T08:00:00Zjunk", milliseconds: nil),
        Case(name: "an offset of 24 hours", text: "2026-12-04T08:00:00+24:00", milliseconds: nil),
        Case(name: "a word", text: "yesterday", milliseconds: nil),
    ]

    @Test("ISO 8601 dates and times", arguments: isoCases)
    func iso(_ testCase: Case) {
        #expect(ReportTime.parseISO8601(testCase.text) == testCase.milliseconds)
        #expect(ReportTime.parseBound(testCase.text, now: Self.now) == testCase.milliseconds)
    }

    static let relativeCases: [Case] = [
        Case(name: "24 hours ago", text: "-24h", milliseconds: now - 86_400_000),
        Case(name: "30 minutes ago", text: "-30m", milliseconds: now - 1_800_000),
        Case(name: "7 days ago", text: "-7d", milliseconds: now - 7 * 86_400_000),
        Case(name: "90 seconds ago", text: "-90s", milliseconds: now - 90_000),
        Case(name: "2 weeks ago", text: "-2w", milliseconds: now - 14 * 86_400_000),
        Case(name: "zero hours ago is now", text: "-0h", milliseconds: now),
        Case(name: "no number", text: "-h", milliseconds: nil),
        Case(name: "no unit", text: "-24", milliseconds: nil),
        Case(name: "an unknown unit", text: "-3y", milliseconds: nil),
        Case(name: "a fraction", text: "-1.5h", milliseconds: nil),
        Case(name: "two signs", text: "--24h", milliseconds: nil),
        Case(name: "a number too long to be a time", text: "-99999999999999999999h", milliseconds: nil),
    ]

    @Test("relative to now", arguments: relativeCases)
    func relative(_ testCase: Case) {
        #expect(ReportTime.parseBound(testCase.text, now: Self.now) == testCase.milliseconds)
    }

    @Test("formatting is the inverse of parsing, from year one to 9999")
    func roundTrip() {
        var day = ReportTime.parseISO8601("0001-01-01")!
        let last = ReportTime.parseISO8601("9999-12-31T23:59:59.999Z")!
        // A step that is not a whole number of days reaches every time of day and month.
        while day <= last {
            let text = ReportTime.format(day)
            #expect(ReportTime.parseISO8601(text) == day, "\(text)")
            day += 3_456_789_123
        }
        #expect(ReportTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ReportTime.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(ReportTime.format(1_796_025_600_123) == "2026-11-30T08:00:00.123Z")
    }

    @Test("hour keys and hour numbers")
    func hours() {
        #expect(ReportTime.hourNumber(ofHourKey: "1970-01-01T01") == 1)
        #expect(ReportTime.hourNumber(ofHourKey: "2026-11-30T08") == 1_796_025_600_000 / 3_600_000)
        #expect(ReportTime.hourKey(ofHourNumber: 1_796_025_600_000 / 3_600_000) == "2026-11-30T08")
        #expect(ReportTime.hourNumber(ofHourKey: "2026-11-30T25") == nil)
    }
}

@Suite("Report window")
struct ReportWindowTests {
    static func record(_ ts: String, client: String) -> String {
        #"{"ts":"\#(ts)","session":"\#(client)","event":"connect","client":"\#(client)","decision":"accept","reason":"accepted"}"#
    }

    static let lines = [
        record("2026-12-03T23:59:59.999Z", client: "192.0.2.1"),      // before
        record("2026-12-04T00:00:00.000Z", client: "192.0.2.2"),      // at since: inside
        record("2026-12-04T12:00:00.000Z", client: "192.0.2.3"),      // inside
        record("2026-12-04T23:59:59.999Z", client: "192.0.2.4"),      // inside
        record("2026-12-05T00:00:00.000Z", client: "192.0.2.5"),      // at until: outside
        record("not a time", client: "192.0.2.6"),                    // unreadable ts: outside
    ]

    static func summarise(_ window: ReportWindow) -> LogSummary {
        var summary = LogSummary(window: window)
        for (index, line) in lines.enumerated() {
            summary.add(line: Array(line.utf8), at: LineLocation(source: "w.jsonl", line: index + 1))
        }
        return summary
    }

    static let oneDay = ReportWindow(since: ReportTime.parseISO8601("2026-12-04"), until: ReportTime.parseISO8601("2026-12-05"))

    @Test("since is inclusive, until exclusive; an unreadable ts is outside any window")
    func bounds() {
        let summary = Self.summarise(Self.oneDay)
        #expect(summary.records == 3)
        #expect(summary.outsideWindow == 3)
        #expect(summary.sessions == 3)
        #expect(Set(summary.clients.top(10).map(\.key)) == ["192.0.2.2", "192.0.2.3", "192.0.2.4"])
        #expect(summary.hours.values.keys.sorted() == ["2026-12-04T00", "2026-12-04T12", "2026-12-04T23"])
    }

    @Test("one bound alone")
    func oneBound() {
        let since = Self.summarise(ReportWindow(since: ReportTime.parseISO8601("2026-12-04T12:00Z")))
        #expect(since.records == 3 && since.outsideWindow == 3)
        let until = Self.summarise(ReportWindow(until: ReportTime.parseISO8601("2026-12-04T12:00Z")))
        #expect(until.records == 2 && until.outsideWindow == 4)
    }

    @Test("no window counts everything, the unreadable ts included")
    func unbounded() {
        let summary = Self.summarise(ReportWindow())
        #expect(summary.records == 6)
        #expect(summary.outsideWindow == 0)
        #expect(summary.recordsWithoutHour == 1)
    }

    @Test("the text, JSON and HTML reports leave out what the window skipped")
    func renderings() throws {
        let summary = Self.summarise(Self.oneDay)
        let text = ReportText.render(summary, sources: ["w.jsonl"], top: 10)
        #expect(text.contains("Time window: 2026-12-04T00:00:00.000Z to 2026-12-05T00:00:00.000Z (UTC); 3 records outside it skipped"))
        let json = ReportJSON.render(summary, sources: ["w.jsonl"], top: 10)
        let fields = try JSONObjectParser.parseObject(Array(json.utf8.dropLast()))
        func field(_ key: String) -> JSONValue? { fields.first { $0.key == key }?.value }
        #expect(field("since") == .string("2026-12-04T00:00:00.000Z"))
        #expect(field("until") == .string("2026-12-05T00:00:00.000Z"))
        #expect(field("outside_window") == .integer(3))
        #expect(field("sessions") == .integer(3))
        let html = ReportHTML.render(summary, sources: ["w.jsonl"], top: 10)
        for (rendering, output) in [("text", text), ("JSON", json), ("HTML", html)] {
            #expect(output.contains("192.0.2.3"), "\(rendering)")
            for outside in ["192.0.2.1", "192.0.2.5", "192.0.2.6"] {
                #expect(!output.contains(outside), "\(rendering) shows \(outside)")
            }
        }
    }
}
