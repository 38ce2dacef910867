import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// DATA and the message (docs/ARCHITECTURE.md, protocol safety): message bytes only after 354, a refused DATA
/// leaves the bytes as commands, end of data is exactly CRLF "." CRLF across any read
/// boundary, and the message goes through byte for byte.
@Suite("Session machine: DATA and the message")
struct SessionMachineMessageTests {
    static let message = "Subject: hello\r\nFrom: <alice@remote.example>\r\n\r\nbody line\r\n.\r\n"

    /// A session with a transaction open (MAIL and RCPT accepted), with `DATA` sent and not answered.
    static func sessionAtData(_ config: String = "") throws -> SessionHarness {
        var session = try SessionHarness(config)
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
        session.client("DATA\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        return session
    }

    @Test("Message bytes pipelined with DATA are forwarded only after the 354")
    func onlyAfter354() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n" + Self.message)
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
        #expect(session.takeBackend() == "", "no 354 yet")
        session.backend("354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(session.takeBackend() == Self.message)
        #expect(session.runningTimers[.backendReply] == .seconds(600), "the end-of-data reply is awaited for data_timeout")
        _ = session.takeClient()
        session.backend("250 2.0.0 Ok: queued as 4XyZ\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok: queued as 4XyZ\r\n")
        let records = session.takeRecords()
        #expect(records.suffix(2) == [
            Logged(.data, .accept, 354, nil, .accepted),
            Logged(.message, .accept, 250, "2.0.0", .accepted, from: "alice@remote.example"),
        ])
        #expect(session.records.last?.bytes == Self.message.utf8.count)
    }

    @Test("DATA refused by the backend: the pipelined body is read as commands and goes through policy")
    func refusedDataBodyIsCommands() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<nobody@local.example>\r\nDATA\r\n"
            + "RCPT TO:<x@remote.example>\r\nRSET\r\n.\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<nobody@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n450 4.1.1 <nobody@local.example>: Recipient address rejected: try later\r\n"
            + "554 5.5.1 Error: no valid recipients\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n450 4.1.1 <nobody@local.example>: Recipient address rejected: try later\r\n"
            + "554 5.5.1 Error: no valid recipients\r\n"
            + "550 5.7.1 Unable to relay for <x@remote.example>\r\n")
        #expect(session.takeBackend() == "RSET\r\n", "the body's RCPT is refused locally, its RSET forwarded")
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok\r\n502 5.5.1 Error: command not recognized\r\n")
        let records = session.takeRecords()
        #expect(records.contains(Logged(.rcpt, .reject, 550, "5.7.1", .relayDenied, from: "alice@remote.example", rcpt: "x@remote.example")))
        #expect(records.contains(Logged(.data, .reject, 554, "5.5.1", .backend)))
        #expect(!session.backendStream.contains(octets("x@remote.example")))
    }

    @Test("End of data found wherever the reads cut CRLF.CRLF", arguments: Array(1..<SessionMachineMessageTests.message.utf8.count))
    func endOfDataSplitInTwo(_ cut: Int) throws {
        var session = try Self.sessionAtData()
        session.backend("354 End data\r\n")
        _ = session.takeClient()
        let bytes = octets(Self.message)
        session.client(bytes: Array(bytes[..<cut]))
        #expect(session.runningTimers[.backendReply] == nil || cut == bytes.count)
        session.client(bytes: Array(bytes[cut...]) + octets("NOOP\r\n"))
        #expect(session.takeBackendBytes() == bytes, "the message, and nothing after its end yet")
        session.backend("250 2.0.0 Ok: queued\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok: queued\r\n")
        #expect(session.takeBackend() == "NOOP\r\n")
    }

    @Test("End of data found with one byte per read")
    func endOfDataByteByByte() throws {
        var session = try Self.sessionAtData()
        session.backend("354 End data\r\n")
        session.clientByteByByte(octets(Self.message + "QUIT\r\n"))
        #expect(session.takeBackend() == Self.message)
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeBackend() == "QUIT\r\n")
    }

    struct ContentCase: NamedCase {
        let name: String
        let message: [UInt8]
    }

    static let contentCases: [ContentCase] = [
        ContentCase(name: "empty message", message: octets(".\r\n")),
        ContentCase(name: "dot-stuffed lines stay stuffed", message: octets("..leading dot\r\n..\r\n...\r\n.x\r\n.\r\n")),
        ContentCase(name: "8-bit bytes", message: octets("Subject: caf\u{e9}\r\n\r\n") + [0xC3, 0xA9, 0xFF, 0x80, 0xFE, 0x0D, 0x0A] + octets(".\r\n")),
        ContentCase(name: "a line that is only spaces and tabs", message: octets(" \t \r\n.\r\n")),
        ContentCase(name: "CRLF CRLF before the end", message: octets("a\r\n\r\n\r\n.\r\n")),
        ContentCase(name: "a dot line with trailing space is not the end", message: octets("x\r\n. \r\n.\r\n")),
        ContentCase(name: "a long line", message: octets(String(repeating: "z", count: 5000) + "\r\n.\r\n")),
    ]

    @Test("The message is forwarded byte for byte", arguments: contentCases)
    func byteForByte(_ test: ContentCase) throws {
        for oneByteReads in [false, true] {
            var session = try Self.sessionAtData()
            session.backend("354 End data\r\n")
            _ = session.takeClient()
            if oneByteReads { session.clientByteByByte(test.message) } else { session.client(bytes: test.message) }
            #expect(session.takeBackendBytes() == test.message)
            #expect(session.runningTimers[.backendReply] != nil, "the end of data was found")
            session.backend("250 2.0.0 Ok\r\n")
            #expect(session.takeClient() == "250 2.0.0 Ok\r\n")
        }
    }

    @Test("Commands pipelined after the final dot wait for the message reply, then go through policy")
    func commandsAfterTheDot() throws {
        var session = try Self.sessionAtData()
        session.backend("354 End data\r\n")
        _ = session.takeClient()
        session.client(Self.message + "MAIL FROM:<carol@remote.example>\r\nRCPT TO:<y@remote.example>\r\nQUIT\r\n")
        #expect(session.takeBackend() == Self.message)
        #expect(session.takeClient() == "")
        session.backend("250 2.0.0 Ok: queued as 1\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok: queued as 1\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<carol@remote.example>\r\nQUIT\r\n")
        session.backend("250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n550 5.7.1 Unable to relay for <y@remote.example>\r\n221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
    }

    @Test("A message refused at end of data by the backend is relayed and logged")
    func messageRefused() throws {
        var session = try Self.sessionAtData()
        session.backend("354 End data\r\n")
        session.client(Self.message)
        _ = session.takeClient()
        _ = session.takeRecords()
        session.backend("554 5.7.1 Message rejected: spam\r\n")
        #expect(session.takeClient() == "554 5.7.1 Message rejected: spam\r\n")
        #expect(session.takeRecords() == [Logged(.message, .reject, 554, "5.7.1", .backend, from: "alice@remote.example")])
    }
}
