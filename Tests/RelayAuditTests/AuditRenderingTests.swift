import Testing
import RelayAudit

@Suite("Audit rendering")
struct AuditRenderingTests {
    static let report = AuditReport(target: "192.0.2.25:25", site: site, results: [
        AuditResult(auditCase: AuditCase(name: "test 3: null sender", mail: "<>", rcpt: "<someone@external.invalid>"),
                    outcome: .answered(code: 550, text: "5.7.1 Unable to relay")),
        AuditResult(auditCase: AuditCase(name: "double @", mail: "<user@external.invalid>", rcpt: "<user@external.invalid@local.example>"),
                    outcome: .answered(code: 250, text: "2.1.5 Ok")),
        AuditResult(auditCase: AuditCase(name: "quoted", mail: "<user>", rcpt: "<\"user@external.invalid\">"),
                    outcome: .closedBefore(.rcpt)),
    ])

    @Test("the table: heading, aligned columns, verdicts, final line")
    func table() {
        let expected = """
            relayguard audit of 192.0.2.25:25 (server name mx.local.example, local domain local.example, external domain external.invalid)
            CASE                 MAIL FROM                RCPT TO                                REPLY                      VERDICT
            test 3: null sender  <>                       <someone@external.invalid>             550 5.7.1 Unable to relay  pass
            double @             <user@external.invalid>  <user@external.invalid@local.example>  250 2.1.5 Ok               FAIL
            quoted               <user>                   <"user@external.invalid">              connection closed at RCPT  untested
            1 passed, 1 failed, 1 untested

            """
        #expect(AuditTable.render(Self.report) == expected)
    }

    @Test("a long reply is cut in the table")
    func longReply() {
        let long = String(repeating: "x", count: 100)
        let report = AuditReport(target: "h:25", site: site, results: [
            AuditResult(auditCase: AuditCase(name: "n", mail: "<a>", rcpt: "<b>"), outcome: .answered(code: 550, text: long)),
        ])
        let row = AuditTable.render(report).split(separator: "\n")[2]
        #expect(row.contains("550 " + String(repeating: "x", count: AuditTable.maxReplyWidth - 7) + "..."))
        #expect(!row.contains(long))
    }

    @Test("the JSON document: the man pages keys, numbers, null code, escaped quotes")
    func json() {
        let expected = """
            {"target":"192.0.2.25:25","local_domain":"local.example","external_domain":"external.invalid","server_name":"mx.local.example","cases":[
            {"name":"test 3: null sender","mail":"<>","rcpt":"<someone@external.invalid>","code":550,"reply":"550 5.7.1 Unable to relay","verdict":"pass"},
            {"name":"double @","mail":"<user@external.invalid>","rcpt":"<user@external.invalid@local.example>","code":250,"reply":"250 2.1.5 Ok","verdict":"fail"},
            {"name":"quoted","mail":"<user>","rcpt":"<\\"user@external.invalid\\">","code":null,"reply":"connection closed at RCPT","verdict":"untested"}
            ],"passed":1,"failed":1,"untested":1}

            """
        #expect(AuditJSON.render(Self.report) == expected)
    }

    @Test("control characters and backslashes in a reply are escaped in JSON")
    func jsonEscapes() {
        let report = AuditReport(target: "h:25", site: site, results: [
            AuditResult(auditCase: AuditCase(name: "n", mail: "<a>", rcpt: "<b>"),
                        outcome: .answered(code: 550, text: "a\\b\tc\u{1}d\u{2028}é")),
        ])
        #expect(AuditJSON.render(report).contains(#""reply":"550 a\\b\tc\u0001d\u2028é""#))
    }

    @Test("no cases: an empty array")
    func emptyJSON() {
        let report = AuditReport(target: "h:25", site: site, results: [])
        #expect(AuditJSON.render(report).hasSuffix(#""cases":[],"passed":0,"failed":0,"untested":0}"# + "\n"))
    }
}
