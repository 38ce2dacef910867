import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// Command framing through the machine (docs/ARCHITECTURE.md, protocol safety): only CRLF ends a line; bare CR,
/// bare LF and NUL are refused; overlong lines are refused and their tails thrown away.
/// The client is trusted here, so a line that slipped through would be forwarded: the
/// backend stream proves it was not.
@Suite("Session machine: command framing")
struct SessionMachineFramingTests {
    static let trusted = "trusted_networks = 203.0.113.0/24"

    struct DefectCase: NamedCase {
        let name: String
        let bytes: String
        let reply: String
        let reason: Reason
    }

    static let defectCases: [DefectCase] = [
        DefectCase(name: "bare CR inside EHLO", bytes: "EHLO client\rexample\r\n",
                   reply: "500 5.5.2 Error: bare CR or LF in command\r\n", reason: .bareNewline),
        DefectCase(name: "bare LF joining two RCPTs into one line", bytes: "RCPT TO:<victim@remote.example>\nRCPT TO:<bob@local.example>\r\n",
                   reply: "500 5.5.2 Error: bare CR or LF in command\r\n", reason: .bareNewline),
        DefectCase(name: "MAIL ended by a bare LF, then CRLF", bytes: "MAIL FROM:<alice@remote.example>\n\r\n",
                   reply: "500 5.5.2 Error: bare CR or LF in command\r\n", reason: .bareNewline),
        DefectCase(name: "bare CR before CRLF", bytes: "RSET\r\r\n",
                   reply: "500 5.5.2 Error: bare CR or LF in command\r\n", reason: .bareNewline),
        DefectCase(name: "NUL inside MAIL", bytes: "MAIL FROM:<alice@remote.example>\u{0}\r\n",
                   reply: "500 5.5.2 Error: NUL in command\r\n", reason: .badSyntax),
        DefectCase(name: "NUL hiding a second RCPT", bytes: "RCPT TO:<bob@local.example>\u{0}RCPT TO:<victim@remote.example>\r\n",
                   reply: "500 5.5.2 Error: NUL in command\r\n", reason: .badSyntax),
    ]

    @Test("A command with a bare CR, bare LF or NUL: 500 5.5.2, never forwarded", arguments: defectCases)
    func defect(_ test: DefectCase) throws {
        var session = try SessionHarness(Self.trusted)
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client(test.bytes)
        #expect(session.takeClient() == test.reply)
        #expect(session.takeBackend() == "")
        let code = Int(test.reply.prefix(3))!
        #expect(session.takeRecords() == [Logged(.command, .reject, code, "5.5.2", test.reason)])
        session.client("RSET\r\n")
        #expect(session.takeBackend() == "RSET\r\n", "the next line is read normally")
    }

    @Test("The same defects sent one byte per read", arguments: defectCases)
    func defectByteByByte(_ test: DefectCase) throws {
        var session = try SessionHarness(Self.trusted)
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.clientByteByByte(octets(test.bytes))
        #expect(session.takeClient() == test.reply)
        #expect(session.takeBackend() == "")
    }

    struct LengthCase: NamedCase {
        let name: String
        let line: String
        /// True when the line must be refused as too long.
        let tooLong: Bool
        /// Reads the line is cut into (sizes), or nil for one write.
        var cuts: [Int]? = nil
    }

    /// `prefix` padded with spaces to exactly `total` octets, CRLF included.
    static func padded(_ prefix: String, to total: Int, tail: String = "") -> String {
        prefix + String(repeating: " ", count: total - prefix.utf8.count - tail.utf8.count - 2) + tail + "\r\n"
    }

    static let victim = "RCPT TO:<victim@remote.example>"

    static let lengthCases: [LengthCase] = [
        LengthCase(name: "NOOP of exactly 512 octets is allowed", line: padded("NOOP x", to: 512), tooLong: false),
        LengthCase(name: "NOOP of 513 octets is too long", line: padded("NOOP x", to: 513), tooLong: true),
        LengthCase(name: "MAIL of exactly 2048 octets is allowed", line: padded("MAIL FROM:<alice@remote.example>", to: 2048), tooLong: false),
        LengthCase(name: "MAIL of 2049 octets is too long", line: padded("MAIL FROM:<alice@remote.example>", to: 2049), tooLong: true),
        LengthCase(name: "RCPT of exactly 2048 octets is allowed", line: padded("RCPT TO:<bob@local.example>", to: 2048), tooLong: false),
        LengthCase(name: "RCPT of 2049 octets is too long", line: padded("RCPT TO:<bob@local.example>", to: 2049), tooLong: true),
        LengthCase(name: "EHLO of 513 octets whose tail is a RCPT", line: padded("EHLO client.example", to: 513 + victim.utf8.count, tail: victim),
                   tooLong: true),
        LengthCase(name: "NOOP whose tail past octet 512 is exactly a RCPT line",
                   line: "NOOP " + String(repeating: "x", count: 507) + victim + "\r\n", tooLong: true),
        LengthCase(name: "MAIL of 2049 octets whose tail is a RCPT",
                   line: padded("MAIL FROM:<alice@remote.example>", to: 2049 + victim.utf8.count, tail: victim), tooLong: true),
        LengthCase(name: "overlong line cut right at the limit", line: "NOOP " + String(repeating: "x", count: 507) + victim + "\r\n",
                   tooLong: true, cuts: [512, 1]),
        LengthCase(name: "overlong line with its CRLF cut between CR and LF",
                   line: "NOOP " + String(repeating: "x", count: 507) + victim + "\r\n", tooLong: true, cuts: [100, 444]),
        LengthCase(name: "overlong line in 7-octet reads", line: "HELO " + String(repeating: "y", count: 600) + "\r\n" ,
                   tooLong: true, cuts: Array(repeating: 7, count: 100)),
    ]

    @Test("Line limits: 512 octets, 2048 for MAIL and RCPT; the tail of an overlong line is thrown away",
          arguments: lengthCases)
    func lineLength(_ test: LengthCase) throws {
        var session = try SessionHarness(Self.trusted)
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        if test.line.hasPrefix("MAIL") {
            // A MAIL inside the open transaction would be nested: start from none.
            session.client("RSET\r\n")
            session.backend("250 2.0.0 Ok\r\n")
            _ = session.takeClient()
            _ = session.takeBackend()
            _ = session.takeRecords()
        }
        let bytes = octets(test.line + "RSET\r\n")
        if let cuts = test.cuts {
            var rest = bytes[...]
            for size in cuts where !rest.isEmpty {
                session.client(bytes: Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            if !rest.isEmpty { session.client(bytes: Array(rest)) }
        } else {
            session.client(bytes: bytes)
        }
        let backend = session.takeBackend()
        if test.tooLong {
            #expect(session.takeClient() == "500 5.5.2 Error: line too long\r\n")
            #expect(backend == "RSET\r\n", "only the line after the overlong one is forwarded")
            #expect(session.takeRecords() == [Logged(.command, .reject, 500, "5.5.2", .lineTooLong)])
        } else {
            #expect(backend == test.line || backend == test.line + "RSET\r\n")
            #expect(!session.takeClient().contains("line too long"))
        }
        #expect(!session.backendStream.contains(octets("victim")))
    }
}
