import Testing
import RelayAudit

struct VerdictCase: CustomTestStringConvertible, Sendable {
    let name: String
    let outcome: AuditOutcome
    let verdict: AuditVerdict
    let code: Int?
    let reply: String
    var testDescription: String { name }
}

let verdictCases: [VerdictCase] = [
    VerdictCase(name: "550 relay refused passes", outcome: .answered(code: 550, text: "5.7.1 Unable to relay"),
                verdict: .pass, code: 550, reply: "550 5.7.1 Unable to relay"),
    VerdictCase(name: "554 relay access denied passes", outcome: .answered(code: 554, text: "5.7.1 <a@b>: Relay access denied"),
                verdict: .pass, code: 554, reply: "554 5.7.1 <a@b>: Relay access denied"),
    VerdictCase(name: "501 syntax error passes", outcome: .answered(code: 501, text: "5.1.3 Bad recipient address syntax"),
                verdict: .pass, code: 501, reply: "501 5.1.3 Bad recipient address syntax"),
    VerdictCase(name: "454 deferred relay passes", outcome: .answered(code: 454, text: "4.7.1 Relay access denied"),
                verdict: .pass, code: 454, reply: "454 4.7.1 Relay access denied"),
    VerdictCase(name: "421 harvest limit at RCPT is untested", outcome: .answered(code: 421, text: "4.7.0 Too many invalid recipients"),
                verdict: .untested, code: 421, reply: "421 4.7.0 Too many invalid recipients"),
    VerdictCase(name: "250 to a relay RCPT fails", outcome: .answered(code: 250, text: "2.1.5 Ok"),
                verdict: .fail, code: 250, reply: "250 2.1.5 Ok"),
    VerdictCase(name: "251 user not local, will forward, fails", outcome: .answered(code: 251, text: "forwarding"),
                verdict: .fail, code: 251, reply: "251 forwarding"),
    VerdictCase(name: "a bare code is printed alone", outcome: .answered(code: 252, text: ""),
                verdict: .fail, code: 252, reply: "252"),
    VerdictCase(name: "a 354 to RCPT is untested", outcome: .answered(code: 354, text: "go ahead"),
                verdict: .untested, code: 354, reply: "354 go ahead"),
    VerdictCase(name: "MAIL refused before the RCPT passes", outcome: .refusedBefore(.mail, code: 553, text: "5.1.8 Sender rejected"),
                verdict: .pass, code: 553, reply: "at MAIL: 553 5.1.8 Sender rejected"),
    VerdictCase(name: "harvest block at connect is untested", outcome: .refusedBefore(.connect, code: 421, text: "4.7.0 mx Too many invalid recipients"),
                verdict: .untested, code: 421, reply: "at connect: 421 4.7.0 mx Too many invalid recipients"),
    VerdictCase(name: "EHLO refused is untested", outcome: .refusedBefore(.helo, code: 550, text: ""),
                verdict: .untested, code: 550, reply: "at EHLO: 550"),
    VerdictCase(name: "closed at RCPT is untested", outcome: .closedBefore(.rcpt),
                verdict: .untested, code: nil, reply: "connection closed at RCPT"),
    VerdictCase(name: "closed at RSET is untested", outcome: .closedBefore(.rset),
                verdict: .untested, code: nil, reply: "connection closed at RSET"),
    VerdictCase(name: "no reply to RCPT is untested", outcome: .noReply(.rcpt, milliseconds: 60_000),
                verdict: .untested, code: nil, reply: "no reply to RCPT within 60s"),
    VerdictCase(name: "no greeting within 1500ms is untested", outcome: .noReply(.connect, milliseconds: 1500),
                verdict: .untested, code: nil, reply: "no reply to connect within 1500ms"),
    VerdictCase(name: "a failed reconnect is untested", outcome: .unreachable("cannot reconnect: Connection refused"),
                verdict: .untested, code: nil, reply: "cannot reconnect: Connection refused"),
]

@Suite("Audit verdicts")
struct AuditVerdictTests {
    @Test("outcome to verdict, code and printed reply", arguments: verdictCases)
    func verdict(_ testCase: VerdictCase) {
        #expect(AuditVerdict(judging: testCase.outcome) == testCase.verdict)
        #expect(testCase.outcome.code == testCase.code)
        #expect(testCase.outcome.replyDescription == testCase.reply)
    }

    struct StatusCase: CustomTestStringConvertible, Sendable {
        let name: String
        let outcomes: [AuditOutcome]
        let summary: String
        let exitStatus: Int32
        var testDescription: String { name }
    }

    static let statusCases: [StatusCase] = [
        StatusCase(name: "all refused: exit 0", outcomes: [.answered(code: 550, text: ""), .refusedBefore(.mail, code: 553, text: "")],
                   summary: "2 passed, 0 failed", exitStatus: 0),
        StatusCase(name: "one relay accepted: exit 1", outcomes: [.answered(code: 550, text: ""), .answered(code: 250, text: "Ok")],
                   summary: "1 passed, 1 failed", exitStatus: 1),
        StatusCase(name: "one untested: exit 1 and said so", outcomes: [.answered(code: 550, text: ""), .noReply(.rcpt, milliseconds: 1000)],
                   summary: "1 passed, 0 failed, 1 untested", exitStatus: 1),
        StatusCase(name: "no cases: exit 0", outcomes: [], summary: "0 passed, 0 failed", exitStatus: 0),
    ]

    @Test("summary line and exit status", arguments: statusCases)
    func status(_ testCase: StatusCase) {
        let results = testCase.outcomes.enumerated().map { index, outcome in
            AuditResult(auditCase: AuditCase(name: "case \(index)", mail: "<a@b>", rcpt: "<c@d>"), outcome: outcome)
        }
        let report = AuditReport(target: "192.0.2.25:25", site: site, results: results)
        #expect(report.summaryLine == testCase.summary)
        #expect(report.exitStatus == testCase.exitStatus)
    }
}
