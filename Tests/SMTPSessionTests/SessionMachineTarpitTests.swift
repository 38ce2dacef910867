import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// The tarpit and the per-session limits (relayguard.conf(5), tarpit and harvest keys): refused RCPTs from an untrusted
/// client are answered after a growing delay, on a timer; replies behind them wait; the
/// `invalid_recipient_limit`-th refusal is a 421, blocks the client and closes; counters
/// survive RSET; `error_limit` closes the same way without the block.
@Suite("Session machine: tarpit and limits")
struct SessionMachineTarpitTests {
    static let tarpit = """
        tarpit_delay = 5s
        tarpit_max_delay = 12s
        """

    static func session(_ config: String = tarpit, client: String = "203.0.113.5") throws -> SessionHarness {
        var session = try SessionHarness(config, client: client)
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        return session
    }

    @Test("A refused RCPT waits n × tarpit_delay (capped) on a timer, and is written when it fires")
    func delayGrows() throws {
        var session = try Self.session()
        for (address, delay) in [("a@remote.example", 5), ("b@remote.example", 10), ("c@remote.example", 12), ("d@remote.example", 12)] {
            session.client("RCPT TO:<\(address)>\r\n")
            #expect(session.lastActionsContain(.setTimer(.tarpit, .seconds(delay))))
            #expect(session.takeClient() == "", "nothing before the tarpit fires")
            #expect(session.takeRecords() == [Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, from: "alice@remote.example",
                                                     rcpt: address, tarpitMs: delay * 1000)])
            session.fire(.tarpit)
            #expect(session.takeClient() == "550 5.7.1 Unable to relay for <\(address)>\r\n")
        }
        #expect(session.takeBackend() == "")
    }

    @Test("Replies pipelined behind a tarpitted one wait for it, whoever wrote them")
    func laterRepliesWait() throws {
        var session = try Self.session()
        session.client("RCPT TO:<x@remote.example>\r\nRCPT TO:<bob@local.example>\r\nVRFY bob\r\nNOOP\r\n")
        #expect(session.takeBackend() == "RCPT TO:<bob@local.example>\r\nNOOP\r\n")
        session.backend("250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n")
        #expect(session.takeClient() == "")
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <x@remote.example>\r\n250 2.1.5 Ok\r\n"
            + "252 2.5.2 Cannot VRFY user\r\n250 2.0.0 Ok\r\n")
    }

    @Test("Two tarpitted replies in a row: one timer each, in order")
    func twoInARow() throws {
        var session = try Self.session()
        session.client("RCPT TO:<x@remote.example>\r\nRCPT TO:<y@remote.example>\r\n")
        #expect(session.runningTimers[.tarpit] == .seconds(5))
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <x@remote.example>\r\n")
        #expect(session.runningTimers[.tarpit] == .seconds(10))
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <y@remote.example>\r\n")
    }

    @Test("Input held behind a tarpitted reply is read as soon as the tarpit releases it")
    func inputResumesAfterTarpit() throws {
        var session = try Self.session()
        session.client("RCPT TO:<x@remote.example>\r\nNOOP\r\nRSET\r\n")
        #expect(session.takeBackend() == "NOOP\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeBackend() == "", "RSET waits for the NOOP reply, which waits for the tarpit")
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <x@remote.example>\r\n250 2.0.0 Ok\r\n")
        #expect(session.takeBackend() == "RSET\r\n")
    }

    @Test("A trusted client is never tarpitted")
    func trustedNeverTarpitted() throws {
        var session = try Self.session(Self.tarpit + "\nrecipient_check = map\nrecipient_map = /etc/relayguard/recipients",
                                       client: "192.0.2.7")
        session.client("RCPT TO:<carol@local.example>\r\n")
        #expect(session.takeClient() == "550 5.1.1 <carol@local.example>: Recipient address rejected: User unknown\r\n")
        #expect(!session.timersSet.contains(.setTimer(.tarpit, .seconds(5))))
        #expect(session.runningTimers[.tarpit] == nil)
        #expect(session.takeRecords().first?.tarpitMs == nil)
        session.client("RCPT TO:<ghost@remote.example>\r\n")
        #expect(session.takeBackend() == "RCPT TO:<ghost@remote.example>\r\n")
        session.backend("550 5.1.1 <ghost@remote.example>: Recipient address rejected: User unknown\r\n")
        #expect(session.takeClient() == "550 5.1.1 <ghost@remote.example>: Recipient address rejected: User unknown\r\n")
        #expect(session.runningTimers[.tarpit] == nil)
    }

    @Test("A backend 5xx to a forwarded RCPT is tarpitted like a local refusal")
    func backendRefusalTarpitted() throws {
        var session = try Self.session()
        session.client("RCPT TO:<ghost@local.example>\r\n")
        #expect(session.takeBackend() == "RCPT TO:<ghost@local.example>\r\n")
        session.backend("550 5.1.1 <ghost@local.example>: Recipient address rejected: User unknown in local recipient table\r\n")
        #expect(session.takeClient() == "")
        #expect(session.runningTimers[.tarpit] == .seconds(5))
        #expect(session.takeRecords() == [Logged(.rcpt, .reject, 550, "5.1.1", .unknownRecipient, from: "alice@remote.example",
                                                 rcpt: "ghost@local.example", tarpitMs: 5000)])
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.1.1 <ghost@local.example>: Recipient address rejected: User unknown\r\n",
                "one text for every unknown user, whatever table the backend looked in")
    }

    @Test("Exim's unknown user (550 Unrouteable address, no enhanced code) gets the same uniform reply and reason")
    func eximUnknownUser() throws {
        var session = try Self.session()
        session.client("RCPT TO:<ghost@local.example>\r\n")
        let before = session.records.count
        session.backend("550 Unrouteable address\r\n")
        let records = session.records[before...]
        #expect(records.map(\.reason) == [.unknownRecipient])
        #expect(records.first?.detail?.string == "550 Unrouteable address", "the backend's own text in detail")
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.1.1 <ghost@local.example>: Recipient address rejected: User unknown\r\n")
    }

    @Test("A backend 4xx to a forwarded RCPT is not tarpitted")
    func backendTempfailNotTarpitted() throws {
        var session = try Self.session()
        session.client("RCPT TO:<ghost@local.example>\r\n")
        session.backend("450 4.2.0 <ghost@local.example>: Recipient address rejected: Greylisted\r\n")
        #expect(session.takeClient() == "450 4.2.0 <ghost@local.example>: Recipient address rejected: Greylisted\r\n")
    }

    struct LimitCase: NamedCase {
        let name: String
        /// What the client sends, one write per element.
        let writes: [String]
        /// The backend's replies after each write ("" for none).
        var backend: [String] = []
    }

    static let limitCases: [LimitCase] = [
        LimitCase(name: "three relay refusals in one write", writes: [
            "RCPT TO:<a@remote.example>\r\nRCPT TO:<b@remote.example>\r\nRCPT TO:<c@remote.example>\r\n"]),
        LimitCase(name: "refusals separated by RSET: the counter survives", writes: [
            "RCPT TO:<a@remote.example>\r\n", "RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<b@remote.example>\r\n",
            "RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<c@remote.example>\r\n"],
            backend: ["", "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n", "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n"]),
        LimitCase(name: "mixed local and backend refusals", writes: [
            "RCPT TO:<a@remote.example>\r\nRCPT TO:<ghost@local.example>\r\n", "RCPT TO:<us%er@local.example>\r\n"],
            backend: ["550 5.1.1 <ghost@local.example>: User unknown\r\n", ""]),
    ]

    @Test("The invalid_recipient_limit-th refusal: 421 4.7.0 Too many invalid recipients, client blocked, session closed",
          arguments: limitCases)
    func invalidRecipientLimit(_ test: LimitCase) throws {
        var session = try Self.session("invalid_recipient_limit = 3")
        for (index, write) in test.writes.enumerated() {
            session.client(write)
            if index < test.backend.count && !test.backend[index].isEmpty { session.backend(test.backend[index]) }
        }
        let client = session.takeClient()
        #expect(client.hasSuffix("421 4.7.0 Too many invalid recipients\r\n"))
        #expect(client.split(separator: "\r\n").filter { $0.hasPrefix("550") }.count == 2)
        #expect(session.blockedClient)
        #expect(session.isClosed)
        let records = session.takeRecords()
        let limit = records.filter { $0.reason == .tooManyInvalidRecipients && $0.event != .disconnect }
        #expect(limit.map { Logged($0.event, $0.decision, $0.code, $0.enhanced, $0.reason) }
            == [Logged(.rcpt, .drop, 421, "4.7.0", .tooManyInvalidRecipients)])
        #expect(limit.first?.from == "alice@remote.example")
        #expect(limit.first?.rcpt != nil)
        #expect(records.last == .disconnect(.tooManyInvalidRecipients))
    }

    @Test("Nothing pipelined after the limit-reaching refusal is forwarded")
    func nothingAfterTheLimit() throws {
        var session = try Self.session("invalid_recipient_limit = 2")
        session.client("RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@remote.example>\r\nRCPT TO:<b@remote.example>\r\n"
            + "RCPT TO:<bob@local.example>\r\nNOOP\r\n")
        #expect(session.takeBackend() == "RSET\r\nMAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n550 5.7.1 Unable to relay for <a@remote.example>\r\n"
            + "421 4.7.0 Too many invalid recipients\r\n")
        #expect(session.isClosed)
        #expect(session.takeBackend() == "")
    }

    @Test("error_limit: the error that reaches it gets 421 4.7.0 Too many errors, no block, closed; logged once")
    func errorLimit() throws {
        var session = try Self.session("error_limit = 3")
        session.client("FOO\r\nRSET x\r\n")
        session.client("EHLO\r\n")
        #expect(session.takeClient() == "502 5.5.1 Error: command not recognized\r\n501 5.5.4 Syntax: RSET\r\n421 4.7.0 Too many errors\r\n")
        #expect(session.isClosed)
        #expect(!session.blockedClient)
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.takeRecords() == [
            Logged(.command, .reject, 502, "5.5.1", .commandNotAllowed),
            Logged(.command, .reject, 501, "5.5.4", .badSyntax),
            Logged(.command, .drop, 421, "4.7.0", .tooManyErrors),
            .disconnect(.tooManyErrors),
        ])
    }

    @Test("error_limit pipelined behind a forwarded command: nothing after it is forwarded")
    func errorLimitPipelined() throws {
        var session = try Self.session("error_limit = 2\ntrusted_networks = 203.0.113.0/24")
        session.client("RSET\r\nFOO\r\nBAR\r\nRCPT TO:<someone@remote.example>\r\nNOOP\r\n")
        #expect(session.takeBackend() == "RSET\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok\r\n502 5.5.1 Error: command not recognized\r\n421 4.7.0 Too many errors\r\n")
        #expect(session.isClosed)
        #expect(session.takeBackend() == "")
    }

    @Test("Counters survive RSET: the error limit counts across transactions")
    func errorCounterSurvivesRSET() throws {
        var session = try Self.session("error_limit = 2")
        session.client("FOO\r\n")
        session.client("RSET\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        session.client("BAR\r\n")
        #expect(session.takeClient().hasSuffix("421 4.7.0 Too many errors\r\n"))
        #expect(session.isClosed)
    }
}

@Suite("Session machine: the tarpit's n counts refused RCPTs")
struct SessionMachineTarpitCountTests {
    @Test("a syntax error refusal is the n-th refused RCPT, not the n-th protocol error")
    func syntaxErrorCountsAsRefusedRecipient() throws {
        var session = try SessionHarness("tarpit_delay = 500ms\ntarpit_max_delay = 5s")
        session.openWithEHLO()
        session.client("FROBNICATE\r\nWIBBLE\r\nXYZZY\r\n")
        _ = session.takeClient()
        session.client("MAIL FROM:<a@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        session.client("RCPT TO:<bad address@local.example>\r\n")
        #expect(session.runningTimers[.tarpit] == .milliseconds(500), "first refused RCPT: one delay")
        session.fire(.tarpit)
        session.client("RCPT TO:<someone@remote.example>\r\n")
        #expect(session.runningTimers[.tarpit] == .seconds(1), "second refused RCPT: two delays")
    }
}

@Suite("Session machine: QUIT pipelined behind a tarpitted refusal")
struct SessionMachineQuitBehindTarpitTests {
    @Test("the backend's 221 and close do not cut the owed 550: 550, then 221, then close")
    func quitAfterTarpit() throws {
        var session = try SessionHarness("tarpit_delay = 1s")
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("MAIL FROM:<erin@remote.example>\r\nRCPT TO:<someone@remote.example>\r\nQUIT\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<erin@remote.example>\r\nQUIT\r\n")
        session.backend("250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n")
        session.backendFails("backend closed the connection")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n")
        #expect(!session.isClosed)
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <someone@remote.example>\r\n221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
    }
}
