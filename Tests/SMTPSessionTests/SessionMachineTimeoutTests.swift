import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// Timeouts, a lost backend, the client leaving, QUIT and shutdown (relayguard.conf(5) and docs/ARCHITECTURE.md, protocol safety).
@Suite("Session machine: timeouts, lost links and QUIT")
struct SessionMachineTimeoutTests {
    static func session() throws -> SessionHarness {
        var session = try SessionHarness("command_timeout = 60s\ndata_timeout = 120s")
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        return session
    }

    @Test("command_timeout runs while commands are read; its expiry is 421 4.4.2 and close")
    func clientIdle() throws {
        var session = try Self.session()
        #expect(session.runningTimers[.clientDeadline] == .seconds(60))
        session.fire(.clientDeadline)
        #expect(session.takeClient() == "421 4.4.2 relay.local.example Error: timeout exceeded\r\n")
        #expect(session.isClosed)
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.takeRecords().last == .disconnect(.timeout))
    }

    @Test("data_timeout runs during the message; its expiry closes the backend link without an end of data")
    func dataIdle() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        session.client("Subject: half a message\r\n")
        #expect(session.runningTimers[.clientDeadline] == .seconds(120))
        _ = session.takeBackend()
        session.fire(.clientDeadline)
        #expect(session.takeClient().hasSuffix("421 4.4.2 relay.local.example Error: timeout exceeded\r\n"))
        #expect(session.takeBackend() == "", "no end of data")
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.isClosed)
    }

    struct BackendTimeoutCase: NamedCase {
        let name: String
        let command: String
    }

    static let backendTimeoutCases: [BackendTimeoutCase] = [
        BackendTimeoutCase(name: "no reply to MAIL", command: "MAIL FROM:<alice@remote.example>\r\n"),
        BackendTimeoutCase(name: "no reply to EHLO", command: "EHLO again.example\r\n"),
        BackendTimeoutCase(name: "no reply to QUIT", command: "QUIT\r\n"),
    ]

    @Test("The backend does not answer in time: 451 4.3.0, its link closed, session closed", arguments: backendTimeoutCases)
    func backendReplyTimeout(_ test: BackendTimeoutCase) throws {
        var session = try Self.session()
        session.client(test.command)
        #expect(session.runningTimers[.backendReply] == .seconds(60))
        session.fire(.backendReply)
        #expect(session.takeClient() == "451 4.3.0 relay.local.example Error: connection to the mail server lost, try again later\r\n")
        #expect(session.lastActionsContain(.closeBackend), "the link that timed out is closed")
        #expect(session.isClosed)
        #expect(session.takeRecords() == [Logged(.error, .tempfail, 451, "4.3.0", .backendUnavailable), .disconnect(.backendUnavailable)])
    }

    @Test("The end-of-data reply does not come within data_timeout: 451 4.3.0 and close")
    func endOfDataTimeout() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        session.client("x\r\n.\r\n")
        #expect(session.runningTimers[.backendReply] == .seconds(120))
        _ = session.takeClient()
        session.fire(.backendReply)
        #expect(session.takeClient().hasPrefix("451 4.3.0"))
        #expect(session.isClosed)
    }

    @Test("The backend closes mid-session: 451 4.3.0 and close")
    func backendClosesMidSession() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backendFails("backend closed the connection")
        #expect(session.takeClient() == "451 4.3.0 relay.local.example Error: connection to the mail server lost, try again later\r\n")
        #expect(!session.lastActionsContain(.closeBackend), "the link is already gone")
        #expect(session.isClosed)
        #expect(session.takeRecords() == [Logged(.error, .tempfail, 451, "4.3.0", .backendUnavailable), .disconnect(.backendUnavailable)])
    }

    @Test("The backend dies mid-DATA: the client is told, no end of data is ever sent, nothing completes")
    func backendDiesMidData() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        session.client("Subject: x\r\n\r\nfirst half\r\n")
        _ = session.takeClient()
        _ = session.takeRecords()
        session.backendFails("backend link failed: connection reset by peer")
        #expect(session.takeClient() == "451 4.3.0 relay.local.example Error: connection to the mail server lost, try again later\r\n")
        #expect(session.isClosed)
        session.client("second half\r\n.\r\n")
        #expect(session.takeClient() == "")
        let records = session.takeRecords()
        #expect(!records.contains { $0.event == .message })
        #expect(records == [Logged(.error, .tempfail, 451, "4.3.0", .backendUnavailable), .disconnect(.backendUnavailable)])
    }

    @Test("A malformed backend reply fails the session closed, and the link is closed")
    func malformedBackendReply() throws {
        var session = try Self.session()
        session.client("NOOP\r\n")
        session.backend("hello there\r\n")
        #expect(session.takeClient().hasPrefix("451 4.3.0"))
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.isClosed)
    }

    @Test("An unsolicited 421 from the backend: 421 4.3.0 to the client, close")
    func unsolicited421() throws {
        var session = try Self.session()
        session.backend("421 4.4.2 mx.local.example Error: timeout exceeded\r\n")
        #expect(session.takeClient() == "421 4.3.0 relay.local.example Service not available, closing transmission channel\r\n")
        #expect(session.isClosed)
        #expect(session.lastActionsContain(.closeBackend))
    }

    @Test("A 421 answering a command is relayed and ends the session: no second reply")
    func solicited421() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<x@remote.example>\r\n")
        session.backend("421 4.7.0 mx.local.example Error: too many errors\r\n")
        #expect(session.takeClient() == "421 4.7.0 mx.local.example Error: too many errors\r\n")
        #expect(session.isClosed)
        session.backendFails()
        #expect(session.takeClient() == "")
    }

    @Test("The client leaves with a reply owed: it is written, then the backend link is closed, disconnect client_closed")
    func clientLeaves() throws {
        var session = try Self.session()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.clientCloses()
        #expect(!session.isClosed, "the MAIL reply is still owed")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.isClosed)
        #expect(session.takeRecords().last == .disconnect(.clientClosed))
    }

    @Test("The client leaves with nothing owed: closed at once")
    func clientLeavesIdle() throws {
        var session = try Self.session()
        session.clientCloses()
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.isClosed)
        #expect(session.takeRecords().last == .disconnect(.clientClosed))
    }

    @Test("QUIT then EOF in one read: QUIT is still forwarded and answered 221")
    func quitThenEOF() throws {
        var session = try Self.session()
        _ = session.takeClient()
        session.client("QUIT\r\n")
        session.clientCloses()
        #expect(!session.isClosed)
        session.backend("221 2.0.0 Bye\r\n")
        #expect(session.takeClient() == "221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
    }

    @Test("QUIT is forwarded, the 221 relayed, then the session closes")
    func quit() throws {
        var session = try Self.session()
        session.client("QUIT\r\n")
        #expect(session.takeBackend() == "QUIT\r\n")
        #expect(!session.isClosed)
        session.backend("221 2.0.0 Bye\r\n")
        #expect(session.takeClient() == "221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
        #expect(session.takeRecords() == [Logged(.command, .accept, 221, "2.0.0", .accepted), .disconnect(nil)])
    }

    @Test("Shutdown: 421 4.3.2 and close")
    func shutdown() throws {
        var session = try Self.session()
        var machine = session.machine
        let actions = machine.shutdown()
        #expect(actions.contains(.sendToClient(octets("421 4.3.2 relay.local.example Service shutting down, closing transmission channel\r\n"))))
        #expect(actions.contains(.closeClient(abusive: false)))
        #expect(actions.contains(.closeBackend))
        _ = session.takeClient()
    }

    @Test("After close, every event is ignored")
    func afterClose() throws {
        var session = try Self.session()
        session.fire(.clientDeadline)
        session.client("RSET\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        session.backendFails()
        session.clientCloses()
        #expect(session.lastActions.isEmpty)
    }
}

/// SIGTERM: a prompt stop that never cuts a transaction short within the grace period.
@Suite("Session machine: stopping")
struct SessionMachineStopTests {
    static let goodbye = "421 4.3.2 relay.local.example Service shutting down, closing transmission channel\r\n"

    @Test("Between transactions: 421 4.3.2 at once, and the session ends")
    func idleSessionEndsAtOnce() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        session.stop()
        #expect(session.takeClient() == Self.goodbye)
        #expect(session.isClosed)
    }

    @Test("Inside a transaction: the message is finished, then 421 4.3.2")
    func transactionFinishes() throws {
        var session = try SessionHarness("trusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        session.stop()
        #expect(!session.isClosed, "a transaction in progress may finish")
        session.client("RCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.5 Ok\r\n354 End data\r\n")
        session.client("Subject: last\r\n\r\nbody\r\n.\r\n")
        session.backend("250 2.0.0 Ok: queued as 4XyZ\r\n")
        #expect(session.takeClient() == "250 2.1.5 Ok\r\n354 End data\r\n250 2.0.0 Ok: queued as 4XyZ\r\n" + Self.goodbye)
        #expect(session.isClosed)
    }

    @Test("Before the greeting: 421 4.3.2 at once")
    func beforeGreeting() throws {
        var session = try SessionHarness()
        session.connectBackend()
        session.stop()
        #expect(session.takeClient() == Self.goodbye)
        #expect(session.isClosed)
    }
}

/// Found by the session fuzzer: a client that sent EOF while its DATA or STARTTLS waited for a
/// reply must not leave the session open once that reply starts a message or a handshake.
@Suite("Session machine: EOF before the reply that changes the phase")
struct SessionMachineEOFTests {
    @Test("EOF, then the backend's 354: the session ends, the message never completes")
    func eofBefore354() throws {
        var session = try SessionHarness("trusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.clientCloses()
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n")
        #expect(session.isClosed)
        #expect(session.takeRecords().last == .disconnect(.clientClosed))
    }

    @Test("EOF, then STARTTLS's 220 after a NOOP: the session ends")
    func eofBeforeStartTLS() throws {
        var session = try SessionHarness(SessionMachineTLSTests.tlsConfig)
        session.open()
        session.client("EHLO c.example\r\n")
        session.backend(SessionMachineTLSTests.backendEHLO)
        session.client("NOOP\r\nSTARTTLS\r\n")
        session.clientCloses()
        session.backend("250 2.0.0 Ok\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.isClosed)
    }
}
