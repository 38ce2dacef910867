import Testing
import LogReport

private func decision(_ line: String) throws -> LoggedDecision? {
    LoggedDecision(fields: try JSONObjectParser.parseObject(Array(line.utf8)))
}

@Suite("Decision record fields")
struct LoggedDecisionTests {
    @Test("every field the report uses is read")
    func allFields() throws {
        let record = try #require(try decision(#"{"ts":"2026-11-30T08:15:00.000Z","session":"s1","event":"rcpt","client":"203.0.113.5","decision":"reject","code":550,"enhanced":"5.7.1","reason":"relay_denied","rcpt":"v@x.example","dnsbl_hits":["zen=127.0.0.2"],"tarpit_ms":5000}"#))
        #expect(record == LoggedDecision(timestamp: "2026-11-30T08:15:00.000Z", event: "rcpt", session: "s1", client: "203.0.113.5",
                                         decision: "reject", code: 550, reason: "relay_denied", rcpt: "v@x.example",
                                         dnsblHits: ["zen=127.0.0.2"], tarpitMs: 5000))
        #expect(record.hour == "2026-11-30T08")
        #expect(record.isRefusal)
    }

    struct NotARecordCase: CustomTestStringConvertible, Sendable {
        let name: String
        let line: String
        var testDescription: String { name }
    }

    static let notRecords: [NotARecordCase] = [
        NotARecordCase(name: "no ts", line: #"{"event":"rcpt"}"#),
        NotARecordCase(name: "no event", line: #"{"ts":"2026-11-30T08:00:00.000Z"}"#),
        NotARecordCase(name: "ts is a number", line: #"{"ts":1796025600,"event":"rcpt"}"#),
        NotARecordCase(name: "event is null", line: #"{"ts":"2026-11-30T08:00:00.000Z","event":null}"#),
    ]

    @Test("an object without a string ts and event is not a record", arguments: notRecords)
    func notARecord(_ testCase: NotARecordCase) throws {
        #expect(try decision(testCase.line) == nil)
    }

    @Test("fields of the wrong type are ignored, not fatal")
    func wrongTypes() throws {
        let record = try #require(try decision(#"{"ts":"x","event":"rcpt","code":"550","tarpit_ms":1.5,"dnsbl_hits":"zen","client":7}"#))
        #expect(record.code == nil)
        #expect(record.tarpitMs == nil)
        #expect(record.dnsblHits == [])
        #expect(record.client == nil)
        #expect(record.hour == nil)
    }

    struct HourCase: CustomTestStringConvertible, Sendable {
        let name: String
        let ts: String
        let hour: String?
        var testDescription: String { name }
    }

    static let hours: [HourCase] = [
        HourCase(name: "a documented timestamp", ts: "2026-11-30T23:59:59.999Z", hour: "2026-11-30T23"),
        HourCase(name: "too short", ts: "2026-11-30T2", hour: nil),
        HourCase(name: "a space instead of T", ts: "2026-11-30 08:00:00", hour: nil),
        HourCase(name: "letters in the hour", ts: "2026-11-30Txx:00", hour: nil),
    ]

    @Test("the UTC hour of ts", arguments: hours)
    func hour(_ testCase: HourCase) {
        #expect(LoggedDecision(timestamp: testCase.ts, event: "connect").hour == testCase.hour)
    }
}
