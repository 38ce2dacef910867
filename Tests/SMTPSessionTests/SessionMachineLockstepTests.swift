import DecisionLog
import Testing
@testable import SMTPSession

/// The machine's view of the transaction never runs ahead of the backend's: a sender is
/// recorded when the backend accepts MAIL, not when MAIL is sent (docs/ARCHITECTURE.md, protocol safety).
@Suite("Session machine: lockstep with the backend's transaction")
struct SessionMachineLockstepTests {
    @Test("MAIL refused with 530 (authentication required): the client's AUTH inside TLS is forwarded")
    func authAfterRefusedMail() throws {
        var session = try SessionMachineTLSTests.insideTLS()
        session.client("MAIL FROM:<alice@local.example>\r\n")
        session.backend("530 5.7.0 Authentication required\r\n")
        #expect(session.takeClient() == "530 5.7.0 Authentication required\r\n")
        session.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@local.example>\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
        session.backend("235 2.7.0 Authentication successful\r\n")
        #expect(session.takeClient() == "235 2.7.0 Authentication successful\r\n")
    }

    @Test("MAIL refused with 553: STARTTLS is answered 220, not 'inside a mail transaction'")
    func startTLSAfterRefusedMail() throws {
        var session = try SessionHarness(SessionMachineTLSTests.tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(SessionMachineTLSTests.backendEHLO)
        _ = session.takeClient()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("553 5.7.1 <alice@remote.example>: Sender address rejected\r\n")
        _ = session.takeClient()
        session.client("STARTTLS\r\n")
        #expect(session.takeClient() == "220 2.0.0 Ready to start TLS\r\n")
        #expect(session.tlsStarted)
    }

    @Test("After a refused MAIL nothing is open: RCPT and DATA get 503 from relayguard, nothing is forwarded")
    func nothingOpenAfterRefusedMail() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("553 5.7.1 Sender address rejected\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("RCPT TO:<bob@local.example>\r\nDATA\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: need MAIL command\r\n503 5.5.1 Error: need MAIL command\r\n")
        #expect(session.takeBackend() == "")
    }

    @Test("STARTTLS pipelined behind an unanswered MAIL waits for its answer, then is decided by it",
          arguments: [("250 2.1.0 Ok\r\n", "503 5.5.1 Error: STARTTLS not allowed inside a mail transaction\r\n"),
                      ("553 5.7.1 Sender address rejected\r\n", "220 2.0.0 Ready to start TLS\r\n")])
    func startTLSWaitsForMail(_ mailReply: String, _ startTLSReply: String) throws {
        var session = try SessionHarness(SessionMachineTLSTests.tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(SessionMachineTLSTests.backendEHLO)
        _ = session.takeClient()
        session.client("MAIL FROM:<alice@remote.example>\r\nSTARTTLS\r\n")
        #expect(session.takeClient() == "", "nothing decided before the backend answered MAIL")
        session.backend(mailReply)
        #expect(session.takeClient() == mailReply + startTLSReply)
    }

    @Test("A nested MAIL gets 503 from relayguard, is never forwarded, and the log keeps the accepted sender")
    func nestedMail() throws {
        var session = try SessionHarness("trusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@x.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeRecords()
        _ = session.takeBackend()
        _ = session.takeClient()
        session.client("MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        #expect(session.takeBackend() == "RCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.5 Ok\r\n354 End data\r\n")
        session.client("Subject: x\r\n\r\nbody\r\n.\r\n")
        session.backend("250 2.0.0 Ok: queued as 4XyZ\r\n")
        #expect(session.takeClient().hasPrefix("503 5.5.1 Error: nested MAIL command\r\n250 2.1.5 Ok\r\n"))
        let records = session.takeRecords()
        #expect(records.first == Logged(.command, .reject, 503, "5.5.1", .badSequence))
        #expect(records.filter { $0.event == .rcpt || $0.event == .message }.map(\.from) == ["a@x.example", "a@x.example"])
    }

    @Test("RSET pipelined behind an unanswered MAIL: the late 250 to MAIL opens nothing")
    func resetBeforeMailAnswer() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\nRSET\r\nRCPT TO:<bob@local.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n")
        #expect(session.takeClient().hasSuffix("250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n503 5.5.1 Error: need MAIL command\r\n"))
        #expect(!session.takeBackend().contains("RCPT"))
    }
}
