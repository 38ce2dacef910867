import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// PIPELINING (RFC 2920, docs/ARCHITECTURE.md, protocol safety): replies in command order whoever wrote them, and
/// nothing after EHLO, HELO, DATA, NOOP or QUIT forwarded before that command's reply.
@Suite("Session machine: pipelining")
struct SessionMachinePipeliningTests {
    static let group = "MAIL FROM:<alice@remote.example>\r\n"
        + "RCPT TO:<someone@remote.example>\r\n"
        + "RCPT TO:<bob@local.example>\r\n"
        + "RCPT TO:<alice>\r\n"
        + "DATA\r\n"
    static let relayDenied = "550 5.7.1 Unable to relay for <someone@remote.example>\r\n"
    static let unqualified = "550 5.7.1 <alice>: Recipient address must contain a domain\r\n"

    @Test("MAIL, refused RCPT, forwarded RCPT, refused RCPT, DATA: replies in command order, one backend reply at a time")
    func orderOneReplyAtATime() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client(Self.group)
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        #expect(session.takeClient() == "", "the local refusal waits for the MAIL reply")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n" + Self.relayDenied)
        session.backend("250 2.1.5 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.5 Ok\r\n" + Self.unqualified)
        session.backend("354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(session.takeClient() == "354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(session.takeBackend() == "")
    }

    struct SplitCase: NamedCase {
        let name: String
        /// The backend's three replies, cut into reads.
        let reads: [String]
    }

    static let splitCases: [SplitCase] = [
        SplitCase(name: "all replies in one read", reads: ["250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n"]),
        SplitCase(name: "replies cut mid-line", reads: ["250 2.1.0 O", "k\r\n250 2.1.5 Ok\r", "\n354 End data\r\n"]),
        SplitCase(name: "one byte per read", reads: "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n".map { String($0) }),
    ]

    @Test("The same group with the backend's replies cut anywhere", arguments: splitCases)
    func orderWhateverTheReads(_ test: SplitCase) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        session.client(Self.group)
        for read in test.reads { session.backend(read) }
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n" + Self.relayDenied + "250 2.1.5 Ok\r\n" + Self.unqualified + "354 End data\r\n")
    }

    @Test("A group that starts with local refusals: they are written at once, before any backend reply")
    func localRepliesFirst() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("VRFY bob\r\nRCPT TO:<x@remote.example>\r\nRSET\r\nEXPN staff\r\n")
        #expect(session.takeClient() == "252 2.5.2 Cannot VRFY user\r\n550 5.7.1 Unable to relay for <x@remote.example>\r\n")
        #expect(session.takeBackend() == "RSET\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok\r\n502 5.5.1 Error: command not implemented\r\n")
    }

    struct GroupEndCase: NamedCase {
        let name: String
        /// Commands (with backend replies) before the one that ends the group.
        let setup: [String]
        let setupReplies: [String]
        let command: String
        let reply: String
        /// Whether the reply ends the session (QUIT).
        var closes = false
    }

    static let groupEndCases: [GroupEndCase] = [
        GroupEndCase(name: "EHLO", setup: [], setupReplies: [], command: "EHLO again.example\r\n", reply: "250 mx.local.example\r\n"),
        GroupEndCase(name: "HELO", setup: [], setupReplies: [], command: "HELO again.example\r\n", reply: "250 mx.local.example\r\n"),
        GroupEndCase(name: "NOOP", setup: [], setupReplies: [], command: "NOOP\r\n", reply: "250 2.0.0 Ok\r\n"),
        GroupEndCase(name: "DATA refused by the backend",
                     setup: ["MAIL FROM:<alice@remote.example>\r\n"], setupReplies: ["250 2.1.0 Ok\r\n"],
                     command: "DATA\r\n", reply: "554 5.5.1 Error: no valid recipients\r\n"),
        GroupEndCase(name: "QUIT", setup: [], setupReplies: [], command: "QUIT\r\n", reply: "221 2.0.0 Bye\r\n", closes: true),
    ]

    @Test("Nothing after a group-ending command reaches the backend before its reply reached the client",
          arguments: groupEndCases)
    func groupEnd(_ test: GroupEndCase) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        for (command, reply) in zip(test.setup, test.setupReplies) {
            session.client(command)
            session.backend(reply)
        }
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client(test.command + "RSET\r\nMAIL FROM:<carol@remote.example>\r\n")
        #expect(session.takeBackend() == test.command, "only the group-ending command is forwarded")
        #expect(session.machine.heldClientBytes > 0, "the rest is held unexamined")
        session.client("NOOP\r\n")
        #expect(session.takeBackend() == "", "more input does not release the hold")
        let writesBefore = session.writes.count
        session.backend(test.reply)
        #expect(session.takeClient() == test.reply)
        if test.closes {
            #expect(session.isClosed)
            #expect(session.takeBackend() == "")
            return
        }
        #expect(session.takeBackend() == "RSET\r\nMAIL FROM:<carol@remote.example>\r\nNOOP\r\n")
        // Within the batch: the reply goes to the client before the next command to the backend.
        let batch = Array(session.writes[writesBefore...])
        #expect(batch.first == .toClient(octets(test.reply)))
    }

    @Test("RSET, MAIL and RCPT do not end a group: they are forwarded together")
    func nonEndingCommands() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nRCPT TO:<carol@local.example>\r\nNOOP\r\nQUIT\r\n")
        #expect(session.takeBackend()
            == "RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nRCPT TO:<carol@local.example>\r\nNOOP\r\n")
    }

    @Test("A client pipelining far ahead is read no further than maxPipelinedCommands unanswered commands, and resumes")
    func pipelineBound() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        let limit = session.machine.settings.maxPipelinedCommands
        let count = limit + 20
        let mail = "MAIL FROM:<alice@remote.example>\r\n"
        let rcpt = "RCPT TO:<bob@local.example>\r\n"
        session.client(mail + String(repeating: rcpt, count: count - 1))
        #expect(session.takeBackend() == mail + String(repeating: rcpt, count: limit - 1))
        session.backend("250 2.1.0 Ok\r\n" + String(repeating: "250 2.1.5 Ok\r\n", count: limit - 1))
        #expect(session.takeBackend() == String(repeating: rcpt, count: 20))
        session.backend(String(repeating: "250 2.1.5 Ok\r\n", count: 20))
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n" + String(repeating: "250 2.1.5 Ok\r\n", count: count - 1))
    }
}

@Suite("Session machine: a client that does not read its replies")
struct SessionMachineClientBacklogTests {
    @Test("while the client's replies are backlogged no new command is taken; taking resumes when they leave")
    func backlog() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeBackend()
        session.clientOutputBacklog(true)
        session.client("NOOP\r\nNOOP\r\n")
        #expect(session.takeBackend() == "", "nothing is forwarded while the client's replies pile up")
        session.clientOutputBacklog(false)
        #expect(session.takeBackend() == "NOOP\r\n", "taking resumes (NOOP is last in its group)")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeBackend() == "NOOP\r\n")
    }
}
