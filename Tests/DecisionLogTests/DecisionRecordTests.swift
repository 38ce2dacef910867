import Testing
import DecisionLog

@Suite("Decision record")
struct DecisionRecordTests {
    static let ts = Timestamp(millisecondsSinceEpoch: 1_796_025_600_123)   // 2026-11-30T08:00:00.123Z

    static let fullRecord = DecisionRecord(
        timestamp: ts, session: "7f3a9c01", event: .rcpt, client: "203.0.113.5",
        decision: .reject, code: 550, enhanced: "5.7.1", reason: .relayDenied,
        helo: LogText("mail.example.net"), from: LogText(""), rcpt: LogText("victim@elsewhere.example"),
        dnsblScore: 3, dnsblHits: ["zen.spamhaus.org=127.0.0.2", "bl.example=127.0.0.4"],
        tarpitMs: 5000, bytes: 1234, durationMs: 87,
        detail: LogText("550 5.7.1 \"quoted\"\r\n"))

    @Test("a full record renders the golden line")
    func goldenLine() {
        let golden = #"{"ts":"2026-11-30T08:00:00.123Z","session":"7f3a9c01","event":"rcpt","client":"203.0.113.5","decision":"reject","code":550,"enhanced":"5.7.1","reason":"relay_denied","helo":"mail.example.net","from":"","rcpt":"victim@elsewhere.example","dnsbl_score":3,"dnsbl_hits":["zen.spamhaus.org=127.0.0.2","bl.example=127.0.0.4"],"tarpit_ms":5000,"bytes":1234,"duration_ms":87,"detail":"550 5.7.1 \"quoted\"\r\n"}"# + "\n"
        #expect(String(decoding: Self.fullRecord.jsonLine, as: UTF8.self) == golden)
    }

    @Test("fields come in the man pages order and read back with their values")
    func fieldOrder() throws {
        let fields = try TestJSONReader.parseLine(Self.fullRecord.jsonLine)
        #expect(fields.map(\.key) == ["ts", "session", "event", "client", "decision", "code", "enhanced", "reason",
                                      "helo", "from", "rcpt", "dnsbl_score", "dnsbl_hits", "tarpit_ms", "bytes",
                                      "duration_ms", "detail"])
        #expect(fields.first { $0.key == "code" }?.value == .number(550))
        #expect(fields.first { $0.key == "from" }?.value == .string(""))
        #expect(fields.first { $0.key == "detail" }?.value == .string("550 5.7.1 \"quoted\"\r\n"))
    }

    struct OmissionCase: CustomTestStringConvertible, Sendable {
        var name: String
        var record: DecisionRecord
        var line: String
        var testDescription: String { name }
    }

    static let omissionCases: [OmissionCase] = [
        OmissionCase(name: "only ts and event when nothing else applies",
                     record: DecisionRecord(timestamp: ts, event: .reload),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"reload"}"#),
        OmissionCase(name: "the null sender is an empty from",
                     record: DecisionRecord(timestamp: ts, session: "a1", event: .mail, decision: .accept,
                                            code: 250, enhanced: "2.1.0", reason: .backend, from: LogText("")),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","session":"a1","event":"mail","decision":"accept","code":250,"enhanced":"2.1.0","reason":"backend","from":""}"#),
        OmissionCase(name: "a nil from is left out, not written empty",
                     record: DecisionRecord(timestamp: ts, session: "a1", event: .mail, from: nil),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","session":"a1","event":"mail"}"#),
        OmissionCase(name: "a connect refused for harvesting",
                     record: DecisionRecord(timestamp: ts, session: "b2", event: .connect, client: "198.51.100.7",
                                            decision: .tempfail, code: 421, enhanced: "4.7.0", reason: .harvestBlocked),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","session":"b2","event":"connect","client":"198.51.100.7","decision":"tempfail","code":421,"enhanced":"4.7.0","reason":"harvest_blocked"}"#),
        OmissionCase(name: "a tarpitted unknown recipient without a helo",
                     record: DecisionRecord(timestamp: ts, event: .rcpt, decision: .reject, code: 550,
                                            enhanced: "5.1.1", reason: .unknownRecipient,
                                            rcpt: LogText("nobody@local.example"), tarpitMs: 10000),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"rcpt","decision":"reject","code":550,"enhanced":"5.1.1","reason":"unknown_recipient","rcpt":"nobody@local.example","tarpit_ms":10000}"#),
        OmissionCase(name: "an empty DNSBL hit list is an empty array",
                     record: DecisionRecord(timestamp: ts, event: .dnsbl, client: "192.0.2.1", dnsblScore: 0, dnsblHits: []),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"dnsbl","client":"192.0.2.1","dnsbl_score":0,"dnsbl_hits":[]}"#),
        OmissionCase(name: "a negative DNSBL score (allow list) is a negative number",
                     record: DecisionRecord(timestamp: ts, event: .dnsbl, dnsblScore: -2, dnsblHits: ["list.dnswl.org=127.0.5.1"]),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"dnsbl","dnsbl_score":-2,"dnsbl_hits":["list.dnswl.org=127.0.5.1"]}"#),
        OmissionCase(name: "a disconnect with size and duration",
                     record: DecisionRecord(timestamp: ts, session: "c3", event: .disconnect, reason: .clientClosed,
                                            bytes: 0, durationMs: 9_223_372_036_854_775_807),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","session":"c3","event":"disconnect","reason":"client_closed","bytes":0,"duration_ms":9223372036854775807}"#),
        OmissionCase(name: "an error with only detail",
                     record: DecisionRecord(timestamp: ts, event: .error, detail: LogText("accept: too many open files")),
                     line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"error","detail":"accept: too many open files"}"#),
    ]

    @Test("nil fields are omitted and present ones written", arguments: omissionCases)
    func omission(_ testCase: OmissionCase) throws {
        let line = testCase.record.jsonLine
        #expect(String(decoding: line, as: UTF8.self) == testCase.line + "\n")
        _ = try TestJSONReader.parseLine(line)
    }

    @Test("every event, decision and reason is written with its the man pages name")
    func vocabularyNames() throws {
        for event in Event.allCases {
            let fields = try TestJSONReader.parseLine(DecisionRecord(timestamp: Self.ts, event: event).jsonLine)
            #expect(fields.first { $0.key == "event" }?.value == .string(event.rawValue))
        }
        for decision in Decision.allCases {
            let fields = try TestJSONReader.parseLine(DecisionRecord(timestamp: Self.ts, event: .rcpt, decision: decision).jsonLine)
            #expect(fields.first { $0.key == "decision" }?.value == .string(decision.rawValue))
        }
        for reason in Reason.allCases {
            let fields = try TestJSONReader.parseLine(DecisionRecord(timestamp: Self.ts, event: .rcpt, reason: reason).jsonLine)
            #expect(fields.first { $0.key == "reason" }?.value == .string(reason.rawValue))
        }
    }

    @Test("LogText(\"\") and nil are different values")
    func emptyTextIsNotNil() {
        let nullSender = DecisionRecord(timestamp: Self.ts, event: .mail, from: LogText(""))
        let noSender = DecisionRecord(timestamp: Self.ts, event: .mail)
        #expect(nullSender != noSender)
        #expect(nullSender.jsonLine != noSender.jsonLine)
        #expect(LogText(bytes: [UInt8]()) == LogText(""))
    }

    @Test("a line is exactly one line")
    func oneLine() {
        let line = Self.fullRecord.jsonLine
        #expect(line.filter { $0 == 0x0A }.count == 1)
        #expect(line.last == 0x0A)
    }
}
