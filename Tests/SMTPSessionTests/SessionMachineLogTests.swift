import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// The decision log of a session (relayguard(8), DECISION LOG): one record per decision, with the reply
/// the client got, and a disconnect record at every close. (The harness checks the
/// disconnect record and the session and client fields on every session of every suite.)
@Suite("Session machine: decision records")
struct SessionMachineLogTests {
    @Test("A whole clean session, record by record")
    func cleanSession() throws {
        var session = try SessionHarness()
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend("250-mx.local.example\r\n250 PIPELINING\r\n")
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        session.client("Subject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n")
        session.backend("250 2.0.0 Ok: queued as 4XyZ\r\n221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
        #expect(session.takeRecords() == [
            Logged(.connect, .accept, 220, nil, .accepted),
            Logged(.helo, .accept, 250, nil, .accepted, helo: "client.example"),
            Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, from: "alice@remote.example", rcpt: "x@remote.example"),
            Logged(.mail, .accept, 250, "2.1.0", .accepted, from: "alice@remote.example"),
            Logged(.rcpt, .accept, 250, "2.1.5", .localDomain, from: "alice@remote.example", rcpt: "bob@local.example"),
            Logged(.data, .accept, 354, nil, .accepted),
            Logged(.message, .accept, 250, "2.0.0", .accepted, from: "alice@remote.example"),
            Logged(.command, .accept, 221, "2.0.0", .accepted),
            .disconnect(nil),
        ])
        let message = session.records.first { $0.event == .message }
        #expect(message?.bytes == "Subject: hi\r\n\r\nhello\r\n.\r\n".utf8.count)
    }

    @Test("The null sender is logged as from \"\" on the mail and rcpt records")
    func nullSender() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeRecords()
        session.client("MAIL FROM:<>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        session.client("RCPT TO:<bob@local.example>\r\nRCPT TO:<x@remote.example>\r\n")
        session.backend("250 2.1.5 Ok\r\n")
        #expect(session.takeRecords() == [
            Logged(.mail, .accept, 250, "2.1.0", .accepted, from: ""),
            Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, from: "", rcpt: "x@remote.example"),
            Logged(.rcpt, .accept, 250, "2.1.5", .localDomain, from: "", rcpt: "bob@local.example"),
        ])
    }

    @Test("A RCPT refused while its MAIL is still unanswered carries the sender")
    func pipelinedSender() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeRecords()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<x@remote.example>\r\n")
        #expect(session.takeRecords() == [
            Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, from: "alice@remote.example", rcpt: "x@remote.example"),
        ])
    }

    @Test("A sender refused by the backend is logged with the backend's reply")
    func senderRefused() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeRecords()
        session.client("MAIL FROM:<spammer@bad.example>\r\n")
        session.backend("553 5.7.1 <spammer@bad.example>: Sender address rejected: not allowed\r\n")
        #expect(session.takeRecords() == [Logged(.mail, .reject, 553, "5.7.1", .backend, from: "spammer@bad.example")])
    }

    @Test("RSET and HELO end the transaction: a later local refusal has no sender")
    func rsetForgetsSender() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        session.client("RSET\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        _ = session.takeRecords()
        session.client("RCPT TO:<x@remote.example>\r\n")
        #expect(session.takeRecords() == [Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, rcpt: "x@remote.example")])
    }

    @Test("A bad RCPT path is an rcpt record with bad_syntax and the text as sent")
    func badRecipientRecord() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeRecords()
        session.client("RCPT TO:<bob@@local.example>\r\n")
        #expect(session.takeClient().hasSuffix("501 5.1.3 Bad recipient address syntax\r\n"))
        #expect(session.takeRecords() == [Logged(.rcpt, .reject, 501, "5.1.3", .badSyntax, from: "alice@remote.example",
                                                 rcpt: "bob@@local.example")])
    }

    @Test("Every record carries the session id and the client address")
    func sessionAndClient() throws {
        var session = try SessionHarness(client: "2001:db8::5")
        session.openWithEHLO()
        session.client("QUIT\r\n")
        session.backend("221 2.0.0 Bye\r\n")
        #expect(!session.records.isEmpty)
        #expect(session.records.allSatisfy { $0.session == "0000abcd" && $0.client == "2001:db8::5" })
    }
}

@Suite("Session records: the way into the backend's log")
struct SessionRecordLinkTests {
    @Test("The queue id the backend named is on the message record", arguments: [
        ("250 2.0.0 Ok: queued as 4XyZ1abc\r\n", "4XyZ1abc"),
        ("250 OK id=1rAbCd-000123-Xy\r\n", "1rAbCd-000123-Xy"),
        ("250 2.0.0 Ok\r\n", nil),
    ])
    func queueID(_ reply: String, _ id: String?) throws {
        var session = try SessionHarness("trusted_networks = 203.0.113.0/24")
        session.openWithEHLO()
        session.client("MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n")
        session.client("Subject: x\r\n\r\nbody\r\n.\r\n")
        session.backend(reply)
        #expect(session.records.last { $0.event == .message }?.queueID == id)
    }

    @Test("Every record of a session carries the client's port")
    func clientPort() throws {
        var session = try SessionHarness(clientPort: 49152)
        session.openWithEHLO()
        session.client("QUIT\r\n")
        session.backend("221 2.0.0 Bye\r\n")
        #expect(!session.records.isEmpty)
        #expect(session.records.allSatisfy { $0.clientPort == 49152 })
    }
}
