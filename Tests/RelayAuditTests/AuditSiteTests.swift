import Testing
import RelayAudit

@Suite("Audit site names")
struct AuditSiteTests {
    struct NameCase: CustomTestStringConvertible, Sendable {
        let name: String
        let replyText: String
        let serverName: String?
        var testDescription: String { name }
    }

    static let nameCases: [NameCase] = [
        NameCase(name: "Postfix greeting", replyText: "mx.example.org ESMTP Postfix (Debian/GNU)", serverName: "mx.example.org"),
        NameCase(name: "upper case is lowered", replyText: "MX.Example.ORG Microsoft ESMTP MAIL Service", serverName: "mx.example.org"),
        NameCase(name: "a trailing dot is dropped", replyText: "mx.example.org. ready", serverName: "mx.example.org"),
        NameCase(name: "EHLO reply with only the name", replyText: "backend-10025.test", serverName: "backend-10025.test"),
        NameCase(name: "an IP address is not a name", replyText: "192.0.2.25 ESMTP", serverName: nil),
        NameCase(name: "a greeting without a name", replyText: "", serverName: nil),
        NameCase(name: "a word with other characters", replyText: "Welcome! to the server", serverName: nil),
        NameCase(name: "empty labels", replyText: "mx..example.org ESMTP", serverName: nil),
    ]

    @Test("server name from a greeting or EHLO reply", arguments: nameCases)
    func serverName(_ testCase: NameCase) {
        #expect(AuditSite.serverName(fromReplyText: testCase.replyText) == testCase.serverName)
    }

    struct GuessCase: CustomTestStringConvertible, Sendable {
        let name: String
        let serverName: String
        let localDomain: String
        var testDescription: String { name }
    }

    static let guessCases: [GuessCase] = [
        GuessCase(name: "three labels drop the host", serverName: "mx.example.org", localDomain: "example.org"),
        GuessCase(name: "four labels drop only the host", serverName: "mx1.mail.example.co.uk", localDomain: "mail.example.co.uk"),
        GuessCase(name: "two labels stay", serverName: "example.org", localDomain: "example.org"),
        GuessCase(name: "one label stays", serverName: "localhost", localDomain: "localhost"),
    ]

    @Test("local domain guessed like Postfix's mydomain", arguments: guessCases)
    func guess(_ testCase: GuessCase) {
        #expect(AuditSite.guessLocalDomain(fromServerName: testCase.serverName) == testCase.localDomain)
    }

    @Test("address literals for IPv4 and IPv6")
    func literals() {
        #expect(AuditSite.addressLiteral(forIP: "192.0.2.25") == "[192.0.2.25]")
        #expect(AuditSite.addressLiteral(forIP: "2001:db8::25") == "[IPv6:2001:db8::25]")
        #expect(AuditSite.addressLiteral(forIP: "::1") == "[IPv6:::1]")
    }
}
