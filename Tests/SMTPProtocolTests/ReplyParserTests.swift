import Testing
@testable import SMTPProtocol

/// A backend byte stream and the replies it must yield.
struct ReplyStreamCase: CustomTestStringConvertible, Sendable {
    let name: String
    let stream: [UInt8]
    let replies: [Reply]
    /// The exact bytes of each reply; by default the stream cut after each reply's last LF.
    let raws: [[UInt8]]

    init(_ name: String, _ stream: String, _ replies: [Reply], raws: [String]? = nil) {
        self.name = name
        self.stream = Array(stream.utf8)
        self.replies = replies
        self.raws = (raws ?? [stream]).map { Array($0.utf8) }
    }

    var testDescription: String { name }
}

/// A backend byte stream that must be refused, and with which error.
struct ReplyErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let stream: [UInt8]
    let repliesBefore: Int
    let error: ReplyParseError

    init(_ name: String, _ stream: String, repliesBefore: Int = 0, _ error: ReplyParseError) {
        self.name = name
        self.stream = Array(stream.utf8)
        self.repliesBefore = repliesBefore
        self.error = error
    }

    var testDescription: String { name }
}

private let postfixEHLO = "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n"
    + "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"

private let replyStreamCases: [ReplyStreamCase] = [
    ReplyStreamCase("Postfix greeting", "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n",
                    [Reply(220, nil, "mx.example.org ESMTP Postfix (Debian/GNU)")]),
    ReplyStreamCase("enhanced code split off", "250 2.1.0 Ok\r\n", [Reply(250, "2.1.0", "Ok")]),
    ReplyStreamCase("Postfix EHLO reply", postfixEHLO,
                    [Reply(code: 250, lines: ["mx.example.org", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
                                              "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"])]),
    ReplyStreamCase("multi-line with enhanced code on every line",
                    "550-5.7.1 Service unavailable;\r\n550 5.7.1 see https://example.org/why\r\n",
                    [Reply(code: 550, enhanced: "5.7.1", lines: ["Service unavailable;", "see https://example.org/why"])]),
    ReplyStreamCase("enhanced code only on the first line", "250-2.0.0 first\r\n250 second\r\n",
                    [Reply(code: 250, enhanced: "2.0.0", lines: ["first", "second"])]),
    ReplyStreamCase("other enhanced code on a later line stays text", "550-5.7.1 first\r\n550 5.1.1 second\r\n",
                    [Reply(code: 550, enhanced: "5.7.1", lines: ["first", "5.1.1 second"])]),
    ReplyStreamCase("enhanced class not matching the code is text", "250 5.0.0 odd\r\n", [Reply(250, nil, "5.0.0 odd")]),
    ReplyStreamCase("host name is not an enhanced code", "220 2.example.net ESMTP\r\n", [Reply(220, nil, "2.example.net ESMTP")]),
    ReplyStreamCase("IP address greeting is not an enhanced code", "220 2.0.0.1 ESMTP\r\n", [Reply(220, nil, "2.0.0.1 ESMTP")]),
    ReplyStreamCase("three-digit subject and detail", "550 5.123.456 x\r\n", [Reply(550, "5.123.456", "x")]),
    ReplyStreamCase("four-digit subject is text", "550 5.1234.1 x\r\n", [Reply(550, nil, "5.1234.1 x")]),
    ReplyStreamCase("enhanced code without text", "250 2.0.0\r\n", [Reply(250, "2.0.0", "")]),
    ReplyStreamCase("code only", "250\r\n", [Reply(250, nil, "")]),
    ReplyStreamCase("code and space only", "250 \r\n", [Reply(250, nil, "")]),
    ReplyStreamCase("empty continuation line", "250-\r\n250 last\r\n", [Reply(code: 250, lines: ["", "last"])]),
    ReplyStreamCase("354 for DATA", "354 End data with <CR><LF>.<CR><LF>\r\n", [Reply(354, nil, "End data with <CR><LF>.<CR><LF>")]),
    ReplyStreamCase("bare LF line ends tolerated", "250-a\n250 b\n", [Reply(code: 250, lines: ["a", "b"])]),
    ReplyStreamCase("mixed line ends", "250-a\r\n250 b\n", [Reply(code: 250, lines: ["a", "b"])]),
    ReplyStreamCase("text keeps its spaces and tabs", "250  two\tspaces \r\n", [Reply(250, nil, " two\tspaces ")]),
    ReplyStreamCase("pipelined replies in one read",
                    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <x@example.org>: Recipient address rejected: User unknown\r\n354 go\r\n",
                    [Reply(250, "2.1.0", "Ok"), Reply(250, "2.1.5", "Ok"),
                     Reply(550, "5.1.1", "<x@example.org>: Recipient address rejected: User unknown"), Reply(354, nil, "go")],
                    raws: ["250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n",
                           "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown\r\n", "354 go\r\n"]),
    ReplyStreamCase("multi-line reply between single ones", "220 hi\r\n250-a\r\n250 b\r\n221 2.0.0 Bye\r\n",
                    [Reply(220, nil, "hi"), Reply(code: 250, lines: ["a", "b"]), Reply(221, "2.0.0", "Bye")],
                    raws: ["220 hi\r\n", "250-a\r\n250 b\r\n", "221 2.0.0 Bye\r\n"]),
    ReplyStreamCase("UTF-8 text", "250 ok ✓\r\n", [Reply(250, nil, "ok ✓")]),
]

private let longText = String(repeating: "x", count: ReplyParser.maxLineLength - 6)

private let replyErrorCases: [ReplyErrorCase] = [
    ReplyErrorCase("HTTP answer", "HTTP/1.1 400 Bad Request\r\n", .malformedLine),
    ReplyErrorCase("two-digit code", "25 ok\r\n", .malformedLine),
    ReplyErrorCase("letter after the code", "250x ok\r\n", .malformedLine),
    ReplyErrorCase("empty line", "\r\n", .malformedLine),
    ReplyErrorCase("leading space", " 250 ok\r\n", .malformedLine),
    ReplyErrorCase("code below 200", "199 odd\r\n", .codeOutOfRange(199)),
    ReplyErrorCase("code 100", "100 odd\r\n", .codeOutOfRange(100)),
    ReplyErrorCase("code 600", "600 odd\r\n", .codeOutOfRange(600)),
    ReplyErrorCase("code 000", "000\r\n", .codeOutOfRange(0)),
    ReplyErrorCase("mixed codes", "250-a\r\n251 b\r\n", .mixedCodes(first: 250, then: 251)),
    ReplyErrorCase("NUL in text", "250 a\0b\r\n", .invalidCharacter),
    ReplyErrorCase("bare CR in text", "250 a\rb\r\n", .invalidCharacter),
    ReplyErrorCase("line one octet too long", "250 " + longText + "y\r\n", .lineTooLong),
    ReplyErrorCase("too long without a line end yet", "250 " + longText + "yy", .lineTooLong),
    ReplyErrorCase("too many lines", String(repeating: "250-x\r\n", count: ReplyParser.maxLinesPerReply) + "250 x\r\n",
                   .tooManyLines),
    ReplyErrorCase("garbage after a good reply", "250 ok\r\ngarbage\r\n", repliesBefore: 1, .malformedLine),
]

/// Feeds the chunks, taking every reply as soon as it is available.
private func parseReplies(_ chunks: [ArraySlice<UInt8>]) -> (replies: [ParsedReply], error: ReplyParseError?) {
    var parser = ReplyParser()
    var replies: [ParsedReply] = []
    for chunk in chunks {
        parser.append(chunk)
        do {
            while let parsed = try parser.nextReply() { replies.append(parsed) }
        } catch {
            return (replies, error)
        }
    }
    return (replies, nil)
}

@Suite("ReplyParser")
struct ReplyParserTests {
    @Test("replies read from one chunk", arguments: replyStreamCases)
    func oneChunk(_ testCase: ReplyStreamCase) {
        let (replies, error) = parseReplies([testCase.stream[...]])
        #expect(error == nil)
        #expect(replies.map(\.reply) == testCase.replies)
        #expect(replies.map(\.raw) == testCase.raws)
    }

    @Test("replies read across every split and in one-byte chunks", arguments: replyStreamCases)
    func everySplit(_ testCase: ReplyStreamCase) {
        let stream = testCase.stream
        for split in 0...stream.count {
            let (replies, error) = parseReplies([stream[..<split], stream[split...]])
            #expect(error == nil, "split at \(split)")
            #expect(replies.map(\.reply) == testCase.replies, "split at \(split)")
            #expect(replies.map(\.raw) == testCase.raws, "split at \(split)")
        }
        let (replies, error) = parseReplies(stream.indices.map { stream[$0...$0] })
        #expect(error == nil)
        #expect(replies.map(\.raw) == testCase.raws)
    }

    @Test("broken backend streams are refused", arguments: replyErrorCases)
    func refused(_ testCase: ReplyErrorCase) {
        let (replies, error) = parseReplies([testCase.stream[...]])
        #expect(replies.count == testCase.repliesBefore)
        #expect(error == testCase.error)
        let (bytewiseReplies, bytewiseError) = parseReplies(testCase.stream.indices.map { testCase.stream[$0...$0] })
        #expect(bytewiseReplies.count == testCase.repliesBefore)
        #expect(bytewiseError == testCase.error)
    }

    @Test("limits are inclusive: longest line and most lines are accepted")
    func limitsInclusive() throws {
        let longest = "250 " + longText + "\r\n"
        #expect(longest.utf8.count == ReplyParser.maxLineLength)
        let manyLines = String(repeating: "250-x\r\n", count: ReplyParser.maxLinesPerReply - 1) + "250 x\r\n"
        let (replies, error) = parseReplies([Array((longest + manyLines).utf8)[...]])
        #expect(error == nil)
        #expect(replies.map(\.reply.lines.count) == [1, ReplyParser.maxLinesPerReply])
    }

    @Test("a failed parser stays failed")
    func staysFailed() {
        var parser = ReplyParser()
        parser.append(Array("250-a\r\n251 b\r\n".utf8))
        #expect(throws: ReplyParseError.mixedCodes(first: 250, then: 251)) { try parser.nextReply() }
        parser.append(Array("250 fine\r\n".utf8))
        #expect(throws: ReplyParseError.mixedCodes(first: 250, then: 251)) { try parser.nextReply() }
    }

    @Test("an incomplete reply waits and is reported as partial")
    func partial() throws {
        var parser = ReplyParser()
        #expect(!parser.hasPartialReply)
        parser.append(Array("250-first\r\n250 sec".utf8))
        #expect(try parser.nextReply() == nil)
        #expect(parser.hasPartialReply)
        parser.append(Array("ond\r\n".utf8))
        let parsed = try #require(try parser.nextReply())
        #expect(parsed.reply == Reply(code: 250, lines: ["first", "second"]))
        #expect(!parser.hasPartialReply)
        #expect(try parser.nextReply() == nil)
    }

    @Test("a long session of replies fed one by one stays correct")
    func longSession() throws {
        var parser = ReplyParser()
        for round in 0..<5000 {
            let text = "250-2.0.0 round \(round)\r\n250 2.0.0 done\r\n"
            let bytes = Array(text.utf8)
            // Half a reply, then the rest together with nothing: exercises compaction with a reply pending.
            parser.append(bytes[..<(bytes.count / 2)])
            #expect(try parser.nextReply() == nil)
            parser.append(bytes[(bytes.count / 2)...])
            let parsed = try #require(try parser.nextReply())
            #expect(parsed.reply == Reply(code: 250, enhanced: "2.0.0", lines: ["round \(round)", "done"]))
            #expect(parsed.raw == bytes)
        }
    }

    @Test("a parsed reply renders to the same wire bytes when written canonically", arguments: [
        "250 2.1.0 Ok\r\n", "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "550-5.7.1 a\r\n550 5.7.1 b\r\n", "354 go\r\n",
    ])
    func roundTrip(_ text: String) throws {
        var parser = ReplyParser()
        parser.append(Array(text.utf8))
        let parsed = try #require(try parser.nextReply())
        #expect(parsed.reply.wireBytes == parsed.raw)
    }
}
