import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// SMTP smuggling (the December 2023 research; the smtpsmug variants): a fake end of data
/// made with a bare CR, bare LF or NUL, followed by a smuggled transaction. The backend must
/// receive nothing from the defect on, its link is closed so the message never completes,
/// the client gets `550 5.6.0` at the real end of data and then `421`, and the smuggled
/// commands never reach the backend (docs/ARCHITECTURE.md, protocol safety, `bare_newline = reject`).
@Suite("Session machine: SMTP smuggling")
struct SessionMachineSmugglingTests {
    struct SmugglingCase: NamedCase {
        let name: String
        /// The fake end of data.
        let ending: [UInt8]
        /// Index in `ending` of the first octet that is a defect (the bare CR, bare LF or NUL).
        let defectOffset: Int
    }

    static let cases: [SmugglingCase] = [
        SmugglingCase(name: "LF . LF", ending: octets("\n.\n"), defectOffset: 0),
        SmugglingCase(name: "LF . CRLF", ending: octets("\n.\r\n"), defectOffset: 0),
        SmugglingCase(name: "CRLF . LF", ending: octets("\r\n.\n"), defectOffset: 3),
        SmugglingCase(name: "CR . CR", ending: octets("\r.\r"), defectOffset: 0),
        SmugglingCase(name: "CRLF . CR", ending: octets("\r\n.\r"), defectOffset: 3),
        SmugglingCase(name: "LF . CR", ending: octets("\n.\r"), defectOffset: 0),
        SmugglingCase(name: "CR . CRLF", ending: octets("\r.\r\n"), defectOffset: 0),
        SmugglingCase(name: "CRLF NUL . CRLF", ending: octets("\r\n") + [0] + octets(".\r\n"), defectOffset: 2),
        SmugglingCase(name: "CRLF . CR CRLF", ending: octets("\r\n.\r\r\n"), defectOffset: 3),
        SmugglingCase(name: "CRLF CR . CRLF", ending: octets("\r\n\r.\r\n"), defectOffset: 2),
        SmugglingCase(name: "LF LF . LF LF", ending: octets("\n\n.\n\n"), defectOffset: 0),
    ]

    static let clean = octets("Subject: smuggling\r\nFrom: <alice@remote.example>\r\n\r\nfirst part\r\n")
    static let smuggled = octets("MAIL FROM:<evil@remote.example>\r\nRCPT TO:<victim@remote.example>\r\nDATA\r\n"
        + "From: <ceo@local.example>\r\n\r\nsmuggled\r\n")
    static let realEnd = octets(".\r\n")
    static let refusal = "550 5.6.0 Error: message contains bare CR, bare LF or NUL; not accepted\r\n"
        + "421 4.3.0 relay.local.example Closing connection after refused message\r\n"

    static func sessionInMessage() throws -> SessionHarness {
        var session = try SessionMachineMessageTests.sessionAtData()
        session.backend("354 End data with <CR><LF>.<CR><LF>\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        return session
    }

    @Test("The chunk with the defect is not forwarded; 550 5.6.0 then 421 at the real end", arguments: cases)
    func smuggledInOneWrite(_ test: SmugglingCase) throws {
        var session = try Self.sessionInMessage()
        session.client(bytes: Self.clean)
        #expect(session.takeBackendBytes() == Self.clean)
        session.client(bytes: octets("innocent") + test.ending + Self.smuggled + Self.realEnd + octets("QUIT\r\n"))
        #expect(session.takeBackendBytes() == [], "nothing from the chunk with the defect")
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.takeClient() == Self.refusal)
        #expect(session.isClosed)
        #expect(session.takeRecords() == [
            Logged(.message, .reject, 550, "5.6.0", .bareNewline, from: "alice@remote.example"),
            .disconnect(.bareNewline),
        ])
    }

    @Test("Sent one byte per read: the backend gets every octet before the defect and none from it on", arguments: cases)
    func smuggledByteByByte(_ test: SmugglingCase) throws {
        var session = try Self.sessionInMessage()
        let before = Self.clean + octets("innocent") + test.ending.prefix(test.defectOffset)
        session.clientByteByByte(Self.clean + octets("innocent") + test.ending + Self.smuggled + Self.realEnd + octets("QUIT\r\n"))
        #expect(session.takeBackendBytes() == before)
        #expect(session.backendLinkClosed)
        #expect(session.takeClient() == Self.refusal)
        #expect(session.isClosed)
    }

    @Test("The link is closed at the defect; the client is answered only at the real end of data", arguments: cases)
    func closedAtTheDefect(_ test: SmugglingCase) throws {
        var session = try Self.sessionInMessage()
        session.client(bytes: octets("innocent") + test.ending + Self.smuggled)
        #expect(session.lastActionsContain(.closeBackend))
        #expect(session.takeBackendBytes() == [])
        #expect(session.takeClient() == "")
        #expect(!session.isClosed)
        #expect(session.runningTimers[.backendReply] == nil, "no backend reply is awaited any more")
        session.client("more smuggled text\r\nRSET\r\n")
        #expect(session.takeClient() == "")
        session.client(bytes: Self.realEnd)
        #expect(session.takeClient() == Self.refusal)
        #expect(session.isClosed)
        #expect(session.backendStream.count == SessionMachineMessageTests.sessionAtDataBackendBytes)
    }

    @Test("Commands after the real end of a refused message are never forwarded")
    func smuggledAfterRealEnd() throws {
        var session = try Self.sessionInMessage()
        session.client(bytes: octets("a\nb\r\n.\r\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<victim@local.example>\r\nDATA\r\n"))
        #expect(session.takeClient() == Self.refusal)
        #expect(!session.backendStream.contains(octets("evil")))
        #expect(!session.backendStream.contains(octets("victim")))
    }
}

extension SessionMachineMessageTests {
    /// What the backend received in `sessionAtData`: the banner exchange, EHLO, MAIL, RCPT, DATA.
    static var sessionAtDataBackendBytes: Int {
        let session = try! sessionAtData()
        return session.backendStream.count
    }
}
