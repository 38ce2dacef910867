import Testing
@testable import SMTPProtocol

struct EHLOFilterCase: CustomTestStringConvertible, Sendable {
    let name: String
    let offerSTARTTLS: Bool
    let offerAUTH: Bool
    let hostname: String?
    let backend: Reply
    let expected: Reply

    var testDescription: String { name }
}

private let postfixEHLOReply = Reply(code: 250, lines: [
    "backend.internal", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN",
    "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
])
private let postfixKept = ["PIPELINING", "SIZE 10240000", "VRFY", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"]

private let eximEHLOReply = Reply(code: 250, lines: [
    "mx.example.org Hello client [192.0.2.7]", "SIZE 52428800", "8BITMIME", "PIPELINING", "PIPECONNECT", "CHUNKING", "PRDR",
    "XCLIENT ADDR NAME PORT LOGIN DESTADDR DESTPORT", "HELP",
])

private let ehloFilterCases: [EHLOFilterCase] = [
    EHLOFilterCase(name: "Postfix, plaintext, no TLS configured", offerSTARTTLS: false, offerAUTH: false, hostname: "relay.example.org",
                   backend: postfixEHLOReply, expected: Reply(code: 250, lines: ["relay.example.org"] + postfixKept)),
    EHLOFilterCase(name: "Postfix, plaintext, TLS configured", offerSTARTTLS: true, offerAUTH: false, hostname: "relay.example.org",
                   backend: postfixEHLOReply, expected: Reply(code: 250, lines: ["relay.example.org"] + postfixKept + ["STARTTLS"])),
    EHLOFilterCase(name: "Postfix, inside TLS: AUTH relayed, no STARTTLS", offerSTARTTLS: false, offerAUTH: true,
                   hostname: "relay.example.org", backend: postfixEHLOReply,
                   expected: Reply(code: 250, lines: ["relay.example.org", "PIPELINING", "SIZE 10240000", "VRFY", "AUTH PLAIN LOGIN",
                                                      "AUTH=PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"])),
    EHLOFilterCase(name: "greeting kept when no hostname is given", offerSTARTTLS: false, offerAUTH: false, hostname: nil,
                   backend: postfixEHLOReply, expected: Reply(code: 250, lines: ["backend.internal"] + postfixKept)),
    EHLOFilterCase(name: "Exim: CHUNKING, PRDR, PIPECONNECT and XCLIENT dropped", offerSTARTTLS: false, offerAUTH: false, hostname: nil,
                   backend: eximEHLOReply,
                   expected: Reply(code: 250, lines: ["mx.example.org Hello client [192.0.2.7]", "SIZE 52428800", "8BITMIME",
                                                      "PIPELINING", "HELP"])),
    EHLOFilterCase(name: "keywords compare case-insensitively", offerSTARTTLS: false, offerAUTH: false, hostname: nil,
                   backend: Reply(code: 250, lines: ["mx", "chunking", "Xforward NAME ADDR", "BinaryMime", "etrn", "StartTLS",
                                                     "auth plain", "Auth=LOGIN", "pipelining"]),
                   expected: Reply(code: 250, lines: ["mx", "pipelining"])),
    EHLOFilterCase(name: "only the first word counts", offerSTARTTLS: false, offerAUTH: false, hostname: nil,
                   backend: Reply(code: 250, lines: ["mx", "X-EXPS GSSAPI", "XCLIENTX", "AUTHX", "STARTTLSS", "HELP CHUNKING"]),
                   expected: Reply(code: 250, lines: ["mx", "X-EXPS GSSAPI", "XCLIENTX", "AUTHX", "STARTTLSS", "HELP CHUNKING"])),
    EHLOFilterCase(name: "greeting only, STARTTLS added", offerSTARTTLS: true, offerAUTH: false, hostname: "relay.example.org",
                   backend: Reply(250, nil, "backend.internal"), expected: Reply(code: 250, lines: ["relay.example.org", "STARTTLS"])),
    EHLOFilterCase(name: "greeting that looks like a keyword is kept", offerSTARTTLS: false, offerAUTH: false, hostname: nil,
                   backend: Reply(code: 250, lines: ["CHUNKING", "SIZE"]), expected: Reply(code: 250, lines: ["CHUNKING", "SIZE"])),
    EHLOFilterCase(name: "refusal 554 unchanged", offerSTARTTLS: true, offerAUTH: true, hostname: "relay.example.org",
                   backend: Reply(554, "5.7.1", "Access denied"), expected: Reply(554, "5.7.1", "Access denied")),
    EHLOFilterCase(name: "multi-line 421 unchanged", offerSTARTTLS: true, offerAUTH: false, hostname: "relay.example.org",
                   backend: Reply(code: 421, enhanced: "4.3.0", lines: ["STARTTLS", "CHUNKING"]),
                   expected: Reply(code: 421, enhanced: "4.3.0", lines: ["STARTTLS", "CHUNKING"])),
    EHLOFilterCase(name: "502 to EHLO unchanged", offerSTARTTLS: true, offerAUTH: false, hostname: nil,
                   backend: Reply(502, "5.5.1", "EHLO not implemented"), expected: Reply(502, "5.5.1", "EHLO not implemented")),
]

@Suite("EHLOFilter")
struct EHLOFilterTests {
    @Test("EHLO reply relayed to the client", arguments: ehloFilterCases)
    func filtered(_ testCase: EHLOFilterCase) {
        let filter = EHLOFilter(offerSTARTTLS: testCase.offerSTARTTLS, offerAUTH: testCase.offerAUTH)
        #expect(filter.filter(testCase.backend, hostname: testCase.hostname) == testCase.expected)
    }

    @Test("backend EHLO bytes in, client EHLO bytes out")
    func wire() throws {
        var parser = ReplyParser()
        parser.append(Array("250-backend.internal\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-STARTTLS\r\n250 8BITMIME\r\n".utf8))
        let parsed = try #require(try parser.nextReply())
        let filtered = EHLOFilter(offerSTARTTLS: true, offerAUTH: false).filter(parsed.reply, hostname: "relay.example.org")
        #expect(filtered.wireBytes == Array("250-relay.example.org\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n".utf8))
    }

    @Test("each dropped keyword is dropped alone", arguments: ["CHUNKING", "BINARYMIME", "XCLIENT", "XFORWARD", "ETRN", "STARTTLS", "PRDR"])
    func droppedAlone(_ keyword: String) {
        let reply = Reply(code: 250, lines: ["mx", keyword, "PIPELINING"])
        let filter = EHLOFilter(offerSTARTTLS: false, offerAUTH: true)
        #expect(filter.filter(reply, hostname: nil) == Reply(code: 250, lines: ["mx", "PIPELINING"]))
    }
}
