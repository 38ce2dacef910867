import Testing
import LogReport

/// A small log: two sessions from a harvester and a relay prober, one good session, and junk.
let fixtureLines: [String] = [
    #"{"ts":"2026-11-30T08:00:00.001Z","session":"a1","event":"connect","client":"203.0.113.5","decision":"accept","code":220,"reason":"accepted"}"#,
    #"{"ts":"2026-11-30T08:00:00.100Z","session":"a1","event":"dnsbl","client":"203.0.113.5","dnsbl_score":3,"dnsbl_hits":["zen.spamhaus.org=127.0.0.2","bl.spamcop.net=127.0.0.2"]}"#,
    #"{"ts":"2026-11-30T08:00:01.000Z","session":"a1","event":"rcpt","client":"203.0.113.5","decision":"reject","code":554,"enhanced":"5.7.1","reason":"dnsbl_listed","rcpt":"alice@local.example","dnsbl_hits":["zen.spamhaus.org=127.0.0.2"],"tarpit_ms":1000}"#,
    #"{"ts":"2026-11-30T08:00:03.000Z","session":"a1","event":"rcpt","client":"203.0.113.5","decision":"reject","code":550,"enhanced":"5.1.1","reason":"unknown_recipient","rcpt":"bob@local.example","tarpit_ms":2000}"#,
    #"{"ts":"2026-11-30T08:00:06.000Z","session":"a1","event":"rcpt","client":"203.0.113.5","decision":"drop","code":421,"enhanced":"4.7.0","reason":"too_many_invalid_recipients","rcpt":"carol@local.example","tarpit_ms":3000}"#,
    "this is not JSON",
    #"{"ts":"2026-11-30T08:30:00.000Z","session":"b2","event":"connect","client":"198.51.100.7","decision":"tempfail","code":421,"reason":"harvest_blocked"}"#,
    "",
    #"{"ts":"2026-11-30T09:05:00.000Z","session":"c3","event":"connect","client":"192.0.2.10","decision":"accept","code":220,"reason":"accepted"}"#,
    #"{"ts":"2026-11-30T09:05:01.000Z","session":"c3","event":"rcpt","client":"192.0.2.10","decision":"reject","code":550,"reason":"relay_denied","rcpt":"bob@local.example","tarpit_ms":0}"#,
    #"{"ts":"2026-11-30T09:05:02.000Z","session":"c3","event":"rcpt","client":"192.0.2.10","decision":"accept","code":250,"reason":"local_domain","rcpt":"alice@local.example"}"#,
    #"{"ts":"2026-11-30T09:05:03.000Z","session":"c3","event":"message","client":"192.0.2.10","decision":"accept","code":250,"reason":"accepted","bytes":1234}"#,
    #"{"ts":"2026-11-30T09:05:04.000Z","session":"c3","event":"disconnect","client":"192.0.2.10","reason":"client_closed"}"#,
    #"{"ts":"2026-11-30T09:06:00.000Z","event":"reload","decision":"accept","reason":"accepted"}"#,
    #"{"ts":"2026-11-30T09:07:00.000Z","event":"rcpt","client":"203.0.113.5","decision":"reject"#,
    #"{"event":"connect"}"#,
]

private func summarise(_ lines: [String]) -> LogSummary {
    var summary = LogSummary()
    for (index, line) in lines.enumerated() {
        summary.add(line: Array(line.utf8), at: LineLocation(source: "decisions.jsonl", line: index + 1))
    }
    return summary
}

@Suite("Log summary")
struct LogSummaryTests {
    static let summary = summarise(fixtureLines)

    @Test("lines, records and unreadable lines with their locations")
    func totals() {
        #expect(Self.summary.lines == 15)        // the blank line is skipped
        #expect(Self.summary.records == 12)
        #expect(Self.summary.unreadable == 3)
        #expect(Self.summary.unreadableExamples.map(\.description) == ["decisions.jsonl:6", "decisions.jsonl:15", "decisions.jsonl:16"])
    }

    struct ReasonCase: CustomTestStringConvertible, Sendable {
        let reason: String
        let counts: DecisionCounts
        var testDescription: String { reason }
    }

    static let reasonCases: [ReasonCase] = [
        ReasonCase(reason: "accepted", counts: DecisionCounts(accept: 4)),
        ReasonCase(reason: "dnsbl_listed", counts: DecisionCounts(reject: 1)),
        ReasonCase(reason: "unknown_recipient", counts: DecisionCounts(reject: 1)),
        ReasonCase(reason: "too_many_invalid_recipients", counts: DecisionCounts(drop: 1)),
        ReasonCase(reason: "harvest_blocked", counts: DecisionCounts(tempfail: 1)),
        ReasonCase(reason: "relay_denied", counts: DecisionCounts(reject: 1)),
        ReasonCase(reason: "local_domain", counts: DecisionCounts(accept: 1)),
    ]

    @Test("decisions by reason", arguments: reasonCases)
    func reasons(_ testCase: ReasonCase) {
        #expect(Self.summary.reasons.values[testCase.reason] == testCase.counts)
    }

    @Test("records without a decision are not in the reasons")
    func noDecision() {
        #expect(Self.summary.reasons.values["client_closed"] == nil)
        #expect(Self.summary.reasons.values.count == Self.reasonCases.count)
    }

    @Test("top refused clients and probed recipients")
    func topLists() {
        #expect(Self.summary.refusedClients.top(10).map { "\($0.key)=\($0.count)" } == ["203.0.113.5=3", "192.0.2.10=1", "198.51.100.7=1"])
        #expect(Self.summary.probedRecipients.top(10).map { "\($0.key)=\($0.count)" } == ["bob@local.example=2", "alice@local.example=1", "carol@local.example=1"])
    }

    @Test("DNSBL hits count once per session and zone")
    func dnsblHits() {
        #expect(Self.summary.dnsblZones.values == ["zen.spamhaus.org": 1, "bl.spamcop.net": 1])
    }

    @Test("tarpit time is summed over the delayed replies")
    func tarpit() {
        #expect(Self.summary.tarpitMilliseconds == 6000)
        #expect(Self.summary.tarpittedReplies == 3)
    }

    @Test("sessions, accepted messages, decisions by reason and tarpit time per hour")
    func perHour() {
        #expect(Self.summary.hours.values == [
            "2026-11-30T08": HourlyCounts(sessions: 2, messages: 0,
                                          decisions: ["accepted": 1, "dnsbl_listed": 1, "unknown_recipient": 1,
                                                      "too_many_invalid_recipients": 1, "harvest_blocked": 1],
                                          tarpitMilliseconds: 6000),
            "2026-11-30T09": HourlyCounts(sessions: 1, messages: 1,
                                          decisions: ["accepted": 3, "relay_denied": 1, "local_domain": 1]),
        ])
        #expect(Self.summary.sessions == 3)
        #expect(Self.summary.messages == 1)
    }

    @Test("only the first few unreadable lines are remembered")
    func exampleCap() {
        let summary = summarise(Array(repeating: "junk", count: 20))
        #expect(summary.unreadable == 20)
        #expect(summary.unreadableExamples.count == 5)
        #expect(summary.records == 0)
    }

    @Test("an over-long line reported by the reader is unreadable")
    func overLong() {
        var summary = LogSummary()
        summary.addUnreadable(at: LineLocation(source: "big.jsonl", line: 7))
        #expect(summary.lines == 1)
        #expect(summary.unreadableExamples == [LineLocation(source: "big.jsonl", line: 7)])
    }

    @Test("hits in records without a session are each counted")
    func hitsWithoutSession() {
        let summary = summarise([
            #"{"ts":"2026-11-30T08:00:00.000Z","event":"dnsbl","dnsbl_hits":["zen=127.0.0.2"]}"#,
            #"{"ts":"2026-11-30T08:00:01.000Z","event":"dnsbl","dnsbl_hits":["zen=127.0.0.3"]}"#,
        ])
        #expect(summary.dnsblZones.values == ["zen": 2])
    }
}
