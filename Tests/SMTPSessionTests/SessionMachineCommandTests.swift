import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// The command allowlist of docs/ARCHITECTURE.md, protocol safety: what is forwarded (as its original bytes), what
/// relayguard answers itself, and what ends the session as not SMTP.
@Suite("Session machine: command allowlist")
struct SessionMachineCommandTests {
    struct Step: Sendable {
        let command: String
        let reply: String
    }

    struct ForwardCase: NamedCase {
        let name: String
        /// Commands (with their backend replies) that put the session where the line is allowed.
        let before: [Step]
        let line: String
        let backendReply: String
        /// What the client gets (the backend's reply, possibly filtered).
        let clientReply: String
    }

    static let mail = Step(command: "MAIL FROM:<alice@remote.example>\r\n", reply: "250 2.1.0 Ok\r\n")
    static let rcpt = Step(command: "RCPT TO:<bob@local.example>\r\n", reply: "250 2.1.5 Ok\r\n")

    static let forwardCases: [ForwardCase] = [
        ForwardCase(name: "EHLO in mixed case with extra spaces", before: [], line: "eHlO   Client.Example  \r\n",
                    backendReply: "250-mx.local.example\r\n250 PIPELINING\r\n", clientReply: "250-mx.local.example\r\n250 PIPELINING\r\n"),
        ForwardCase(name: "HELO", before: [], line: "HELO client.example\r\n",
                    backendReply: "250 mx.local.example\r\n", clientReply: "250 mx.local.example\r\n"),
        ForwardCase(name: "MAIL with parameters, lower case", before: [],
                    line: "mail from:<Alice@Remote.Example> SIZE=1000 BODY=8BITMIME\r\n",
                    backendReply: "250 2.1.0 Ok\r\n", clientReply: "250 2.1.0 Ok\r\n"),
        ForwardCase(name: "MAIL with a space after the colon", before: [], line: "MAIL FROM: <alice@remote.example>\r\n",
                    backendReply: "250 2.1.0 Ok\r\n", clientReply: "250 2.1.0 Ok\r\n"),
        ForwardCase(name: "MAIL with the null sender", before: [], line: "MAIL FROM:<>\r\n",
                    backendReply: "250 2.1.0 Ok\r\n", clientReply: "250 2.1.0 Ok\r\n"),
        ForwardCase(name: "RCPT with DSN parameters, odd case", before: [mail],
                    line: "rCpT tO:<Bob@Local.Example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@local.example\r\n",
                    backendReply: "250 2.1.5 Ok\r\n", clientReply: "250 2.1.5 Ok\r\n"),
        ForwardCase(name: "RCPT to <postmaster> without a domain", before: [mail], line: "RCPT TO:<Postmaster>\r\n",
                    backendReply: "250 2.1.5 Ok\r\n", clientReply: "250 2.1.5 Ok\r\n"),
        ForwardCase(name: "DATA in mixed case", before: [mail, rcpt], line: "Data\r\n",
                    backendReply: "354 End data with <CR><LF>.<CR><LF>\r\n", clientReply: "354 End data with <CR><LF>.<CR><LF>\r\n"),
        ForwardCase(name: "RSET in lower case", before: [mail], line: "rset\r\n",
                    backendReply: "250 2.0.0 Ok\r\n", clientReply: "250 2.0.0 Ok\r\n"),
        ForwardCase(name: "NOOP with a string", before: [], line: "NOOP are you there?\r\n",
                    backendReply: "250 2.0.0 Ok\r\n", clientReply: "250 2.0.0 Ok\r\n"),
        ForwardCase(name: "QUIT", before: [], line: "quit\r\n",
                    backendReply: "221 2.0.0 Bye\r\n", clientReply: "221 2.0.0 Bye\r\n"),
    ]

    @Test("Allowed commands reach the backend as their original bytes, and its reply comes back", arguments: forwardCases)
    func forwarded(_ test: ForwardCase) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        for step in test.before {
            session.client(step.command)
            session.backend(step.reply)
        }
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client(test.line)
        #expect(session.takeBackend() == test.line)
        #expect(session.takeClient() == "", "the reply is the backend's")
        session.backend(test.backendReply)
        #expect(session.takeClient() == test.clientReply)
    }

    @Test("The EHLO reply loses CHUNKING, BINARYMIME, XCLIENT, XFORWARD, ETRN, STARTTLS, AUTH and PRDR")
    func ehloFiltered() throws {
        var session = try SessionHarness()
        session.open()
        _ = session.takeClient()
        session.client("EHLO client.example\r\n")
        session.backend("250-mx.local.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ETRN\r\n250-STARTTLS\r\n"
            + "250-AUTH PLAIN LOGIN\r\n250-XCLIENT NAME ADDR\r\n250-XFORWARD NAME ADDR\r\n250-ENHANCEDSTATUSCODES\r\n"
            + "250-8BITMIME\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-PRDR\r\n250 DSN\r\n")
        #expect(session.takeClient() == "250-mx.local.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
            + "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 DSN\r\n")
    }

    struct LocalCase: NamedCase {
        let name: String
        let line: String
        let reply: String
        let decision: Decision
        /// Whether the command ends the session after its reply.
        var closes = false
    }

    static let localCases: [LocalCase] = [
        LocalCase(name: "VRFY", line: "VRFY bob\r\n", reply: "252 2.5.2 Cannot VRFY user\r\n", decision: .accept),
        LocalCase(name: "EXPN", line: "EXPN staff\r\n", reply: "502 5.5.1 Error: command not implemented\r\n", decision: .reject),
        LocalCase(name: "XCLIENT from the client", line: "XCLIENT ADDR=192.0.2.7 NAME=trusted.example\r\n",
                  reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "XFORWARD", line: "XFORWARD ADDR=192.0.2.7\r\n", reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "ETRN", line: "ETRN local.example\r\n", reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "TURN", line: "TURN\r\n", reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "HELP", line: "HELP\r\n", reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "unknown verb", line: "WIBBLE wobble\r\n", reply: "502 5.5.1 Error: command not recognized\r\n", decision: .reject),
        LocalCase(name: "STARTTLS while TLS is not configured", line: "STARTTLS\r\n",
                  reply: "502 5.5.1 Error: command not implemented\r\n", decision: .reject),
        LocalCase(name: "AUTH outside TLS", line: "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
                  reply: "503 5.5.1 Error: authentication not enabled\r\n", decision: .reject),
        LocalCase(name: "BDAT, which also closes", line: "BDAT 20 LAST\r\n",
                  reply: "502 5.5.1 Error: command not implemented\r\n", decision: .reject, closes: true),
    ]

    @Test("Commands answered locally are never forwarded", arguments: localCases)
    func answeredLocally(_ test: LocalCase) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client(test.line)
        #expect(session.takeClient() == test.reply)
        #expect(session.takeBackend() == "")
        let code = Int(test.reply.prefix(3))!
        let enhanced = String(test.reply.dropFirst(4).prefix(5))
        var expected = [Logged(.command, test.decision, code, enhanced, .commandNotAllowed)]
        if test.closes { expected.append(.disconnect(.commandNotAllowed)) }
        #expect(session.takeRecords() == expected)
        #expect(session.isClosed == test.closes)
        if test.closes { #expect(session.lastActionsContain(.closeBackend)) }
    }

    @Test("BDAT behind a forwarded command: its chunk bytes are never read as commands")
    func bdatChunkNeverRead() throws {
        var session = try SessionHarness("trusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@remote.example>\r\nBDAT 64 LAST\r\nRCPT TO:<victim@remote.example>\r\nDATA\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n502 5.5.1 Error: command not implemented\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.isClosed)
    }

    struct NotSMTPCase: NamedCase {
        let name: String
        let bytes: [UInt8]
        let reason: Reason
        /// Sent after EHLO rather than as the first bytes.
        var afterEHLO = false
    }

    static let notSMTPCases: [NotSMTPCase] = [
        NotSMTPCase(name: "PROXY v1 header as the first bytes", bytes: octets("PROXY TCP4 198.51.100.7 192.0.2.25 5555 25\r\n"),
                    reason: .clientProxyHeader),
        NotSMTPCase(name: "PROXY v1 header in lower case after EHLO", bytes: octets("proxy TCP4 198.51.100.7 192.0.2.25 5555 25\r\n"),
                    reason: .clientProxyHeader, afterEHLO: true),
        NotSMTPCase(name: "PROXY v2 signature as the first bytes",
                    bytes: SessionMachineGreetingTests.signature + [0x21, 0x11, 0x00, 0x0C, 198, 51, 100, 7, 192, 0, 2, 25, 0x15, 0xB3, 0x00, 0x19],
                    reason: .clientProxyHeader),
        NotSMTPCase(name: "TLS ClientHello as the first bytes",
                    bytes: [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + Array(repeating: 0x2A, count: 32),
                    reason: .nonSMTPCommand),
        NotSMTPCase(name: "HTTP GET as the first line", bytes: octets("GET / HTTP/1.1\r\nHost: relay.local.example\r\n\r\n"),
                    reason: .nonSMTPCommand),
        NotSMTPCase(name: "HTTP POST after EHLO", bytes: octets("POST /cgi-bin/x HTTP/1.0\r\n"), reason: .nonSMTPCommand, afterEHLO: true),
        NotSMTPCase(name: "HTTP CONNECT", bytes: octets("CONNECT mx.remote.example:25 HTTP/1.1\r\n"), reason: .nonSMTPCommand),
        NotSMTPCase(name: "a header line", bytes: octets("Host: relay.local.example\r\n"), reason: .nonSMTPCommand, afterEHLO: true),
        NotSMTPCase(name: "a User-Agent header line", bytes: octets("User-Agent: curl/8.5.0\r\n"), reason: .nonSMTPCommand, afterEHLO: true),
    ]

    @Test("Not SMTP: 421 4.7.0 Not SMTP; closing, and the session ends", arguments: notSMTPCases)
    func notSMTP(_ test: NotSMTPCase) throws {
        var session = try SessionHarness()
        if test.afterEHLO { session.openWithEHLO() } else { session.open() }
        _ = session.takeClient()
        let backendBefore = session.takeBackend()
        _ = session.takeRecords()
        session.client(bytes: test.bytes)
        #expect(session.takeClient() == "421 4.7.0 Not SMTP; closing\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.isClosed)
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.takeRecords() == [Logged(.command, .drop, 421, "4.7.0", test.reason), .disconnect(test.reason)])
        _ = backendBefore
    }

    @Test("A PROXY v2 signature cut into single bytes is still recognised")
    func proxyV2ByteByByte() throws {
        var session = try SessionHarness()
        session.open()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.clientByteByByte(SessionMachineGreetingTests.signature + [0x21, 0x11])
        #expect(session.takeClient() == "421 4.7.0 Not SMTP; closing\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.isClosed)
    }
}
