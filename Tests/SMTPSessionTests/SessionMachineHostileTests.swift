import DecisionLog
import Testing
@testable import SMTPSession

/// Hostile clients against the machine alone: floods, non-ASCII verbs, a refused SASL line,
/// PROXY signatures mid-session, trickled lines, and refusals counted the moment they are
/// decided (relayguard.conf(5), 5 and 6).
@Suite("Session machine: hostile clients")
struct SessionMachineHostileTests {
    @Test("Verbs compare as ASCII: a Unicode look-alike is an unknown command, never forwarded",
          arguments: ["R\u{17F}ET\r\n", "MA\u{131}L FROM:<a@x.example>\r\n", "\u{212A}QUIT\r\n", "QU\u{130}T\r\n"])
    func unicodeVerbs(_ line: String) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client(line)
        #expect(session.takeClient() == "502 5.5.1 Error: command not recognized\r\n")
        #expect(session.takeBackend() == "")
    }

    @Test("After R\u{17F}ET, max_recipients still counts the open transaction")
    func unicodeResetKeepsRecipientCount() throws {
        var session = try SessionHarness("max_recipients = 3\ntrusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\n" + String(repeating: "RCPT TO:<bob@local.example>\r\n", count: 3))
        session.backend("250 2.1.0 Ok\r\n" + String(repeating: "250 2.1.5 Ok\r\n", count: 3))
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("R\u{17F}ET\r\n" + String(repeating: "RCPT TO:<bob@local.example>\r\n", count: 3))
        #expect(session.takeBackend() == "")
        #expect(session.takeClient() == "502 5.5.1 Error: command not recognized\r\n"
            + String(repeating: "452 4.5.3 Too many recipients\r\n", count: 3))
    }

    @Test("Junk commands beyond junk_command_limit count as errors: error_limit ends the session")
    func junkLimit() throws {
        var session = try SessionHarness("error_limit = 5")
        session.openWithEHLO()
        _ = session.takeClient()
        let limit = session.machine.settings.junkCommandLimit
        session.client(String(repeating: "VRFY x\r\n", count: limit))
        #expect(!session.isClosed, "within the limit nothing counts")
        #expect(session.machine.limits.errors == 0)
        session.client(String(repeating: "VRFY x\r\n", count: 10))
        #expect(session.isClosed)
        let client = session.takeClient()
        #expect(client.split(separator: "\r\n").filter { $0 == "252 2.5.2 Cannot VRFY user" }.count == limit + 4)
        #expect(client.hasSuffix("421 4.7.0 Too many errors\r\n"))
        #expect(session.closedForAbuse)
    }

    @Test("A flood in one read is taken in bounded slices, one per loop turn")
    func boundedSlices() throws {
        var session = try SessionHarness("error_limit = 100000")
        session.autoResume = false
        session.openWithEHLO()
        _ = session.takeClient()
        let perTurn = session.machine.settings.maxCommandsPerTurn
        session.client(String(repeating: "EXPN x\r\n", count: 1000))
        let replies = "502 5.5.1 Error: command not implemented\r\n"
        #expect(session.takeClient() == String(repeating: replies, count: perTurn))
        #expect(session.lastActionsContain(.resumeNextTurn))
        session.resume()
        #expect(session.takeClient() == String(repeating: replies, count: perTurn))
    }

    @Test("A SASL line relayguard refuses cancels the exchange at the backend with '*': both leave AUTH together")
    func saslCancel() throws {
        var session = try SessionMachineTLSTests.insideTLS()
        session.client("AUTH LOGIN\r\n")
        session.backend("334 VXNlcm5hbWU6\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("dXNlcg\n==\r\n")
        #expect(session.takeBackend() == "*\r\n")
        session.backend("501 5.7.0 Authentication aborted\r\n")
        #expect(session.takeClient() == "501 5.5.2 Error: bad SASL response\r\n")
        session.client("RSET\r\n")
        #expect(session.takeBackend() == "RSET\r\n", "a command again, not the user name")
    }

    @Test("A PROXY signature where a command is expected: 421 Not SMTP and close, one reply",
          arguments: [[0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11] as [UInt8],
                      Array("PROXY TCP4 192.0.2.1 192.0.2.2 1 25\r\n".utf8)])
    func proxySignatureMidSession(_ bytes: [UInt8]) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        // In two writes, cut inside the signature's escapes (as a client that does it on purpose).
        session.client(bytes: Array(bytes.prefix(5)))
        session.client(bytes: Array(bytes.dropFirst(5)))
        #expect(session.takeClient() == "421 4.7.0 Not SMTP; closing\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.isClosed && session.closedForAbuse)
    }

    @Test("command_timeout is a deadline: bytes of a line trickling in do not move it")
    func trickleDoesNotExtend() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        let setsBefore = session.timersSet.count
        for byte in octets("NOOP") { session.client(bytes: [byte]) }
        #expect(session.timersSet.count == setsBefore, "no timer restarted by a partial line")
        session.fire(.clientDeadline)
        #expect(session.takeClient().hasSuffix("421 4.4.2 relay.local.example Error: timeout exceeded\r\n"))
        #expect(session.isClosed)
    }

    @Test("A refusal is counted when decided: the count and the block come before the tarpitted reply")
    func countedWhenDecided() throws {
        var session = try SessionHarness("tarpit_delay = 5s\ninvalid_recipient_limit = 2")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        session.client("RCPT TO:<x@remote.example>\r\n")
        #expect(session.refusalsCounted == 1)
        #expect(session.takeClient() == "", "the reply waits for the tarpit")
        session.clientCloses()
        #expect(session.refusalsCounted == 1, "hanging up during the tarpit does not undo it")
        session.fire(.tarpit)
        #expect(session.isClosed)

        var second = try SessionHarness("tarpit_delay = 5s\ninvalid_recipient_limit = 2")
        second.openWithEHLO()
        second.client("MAIL FROM:<a@x.example>\r\n")
        second.backend("250 2.1.0 Ok\r\n")
        second.client("RCPT TO:<x@remote.example>\r\nRCPT TO:<y@remote.example>\r\n")
        #expect(second.blockedClient, "blocked when the limit is decided, before any reply is written")
    }

    @Test("The client refusal limit reached elsewhere ends this session with 421 and a block")
    func clientRefusalLimit() throws {
        var session = try SessionHarness("tarpit_delay = 5s")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        session.client("RCPT TO:<x@remote.example>\r\n")
        session.clientRefusalLimitReached()
        #expect(session.takeClient() == "421 4.7.0 Too many invalid recipients\r\n")
        #expect(session.blockedClient && session.isClosed)
    }

    @Test("An early talker (bytes before the greeting) is logged, and its RCPTs get 550 5.5.1, postmaster exempt")
    func earlyTalker() throws {
        var session = try SessionHarness("tarpit_delay = 0")
        session.connectBackend()
        session.client("EHLO early.example\r\nMAIL FROM:<a@x.example>\r\n")
        #expect(session.takeRecords().map { Logged($0.event, $0.decision, nil, nil, $0.reason) }
            == [Logged(.connect, .reject, nil, nil, .pregreet)])
        session.backend(SessionHarness.banner)
        session.backend("250 mx.local.example\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("RCPT TO:<bob@local.example>\r\nRCPT TO:<postmaster@local.example>\r\n")
        #expect(session.takeClient() == "550 5.5.1 Protocol error\r\n")
        #expect(session.takeBackend() == "RCPT TO:<postmaster@local.example>\r\n")
        #expect(session.refusalsCounted == 1)
    }

    @Test("An empty line alone is answered (500), though it could begin a PROXY v2 signature")
    func emptyLineAnswered() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        session.client("\r\n")
        #expect(session.takeClient() == "500 5.5.2 Error: bad syntax\r\n")
        session.client("\r\n\r\n\u{0}")
        #expect(session.takeClient() == "", "three bytes of a signature are held for the rest")
    }
}
