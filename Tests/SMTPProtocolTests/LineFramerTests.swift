import Testing
@testable import SMTPProtocol

/// Feeds `chunks` to a fresh framer, draining events after each append (as the proxy does).
private func frame(_ chunks: [[UInt8]]) -> [FramerEvent] {
    var framer = LineFramer()
    var events: [FramerEvent] = []
    for chunk in chunks {
        framer.append(chunk)
        while let event = framer.nextEvent() { events.append(event) }
    }
    return events
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func repeated(_ character: Character, _ count: Int) -> String { String(repeating: character, count: count) }

struct FramerCase: Sendable, CustomTestStringConvertible {
    let name: String
    let stream: [UInt8]
    let expected: [FramerEvent]
    var testDescription: String { name }

    init(_ name: String, _ stream: String, _ expected: [FramerEvent]) {
        self.init(name, bytes(stream), expected)
    }

    init(_ name: String, _ stream: [UInt8], _ expected: [FramerEvent]) {
        self.name = name
        self.stream = stream
        self.expected = expected
    }
}

private let mail2046 = "MAIL FROM:<a@b> ENVID=" + repeated("x", 2046 - 22)
private let rcpt2047 = "RCPT TO:<a@b> ENVID=" + repeated("x", 2047 - 20)

/// Short streams: every way of cutting them into three appends is tried.
private let shortCases: [FramerCase] = [
    FramerCase("one line", "NOOP\r\n", [.line(bytes("NOOP\r\n"))]),
    FramerCase("empty line", "\r\n", [.line(bytes("\r\n"))]),
    FramerCase("pipelined lines in one append", "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", [
        .line(bytes("MAIL FROM:<a@b>\r\n")), .line(bytes("RCPT TO:<c@d>\r\n")), .line(bytes("DATA\r\n")),
    ]),
    FramerCase("incomplete line is held back", "NOOP\r\nQUI", [.line(bytes("NOOP\r\n"))]),
    FramerCase("trailing CR is held back", "NOOP\r", []),
    FramerCase("bare LF does not end the line", "NOOP\nQUIT\r\n", [.malformedLine(.bareLF, bytes("NOOP\nQUIT\r\n"))]),
    FramerCase("bare CR does not end the line", "NO\rOP\r\nQUIT\r\n", [
        .malformedLine(.bareCR, bytes("NO\rOP\r\n")), .line(bytes("QUIT\r\n")),
    ]),
    FramerCase("CR CR LF is a bare CR then the line end", "NOOP\r\r\n", [.malformedLine(.bareCR, bytes("NOOP\r\r\n"))]),
    FramerCase("LF CR LF is a bare LF then the line end", "NOOP\n\r\n", [.malformedLine(.bareLF, bytes("NOOP\n\r\n"))]),
    FramerCase("NUL in a line", [78, 79, 0, 79, 80, 13, 10], [.malformedLine(.nul, [78, 79, 0, 79, 80, 13, 10])]),
    FramerCase("first defect is reported", "A\nB\rC\r\n", [.malformedLine(.bareLF, bytes("A\nB\rC\r\n"))]),
    FramerCase("defect does not leak into the next line", "A\nB\r\nNOOP\r\n", [
        .malformedLine(.bareLF, bytes("A\nB\r\n")), .line(bytes("NOOP\r\n")),
    ]),
    FramerCase("smuggling attempt: bare LF dot bare LF", "DATA\r\nx\n.\nMAIL FROM:<e@f>\r\n", [
        .line(bytes("DATA\r\n")), .malformedLine(.bareLF, bytes("x\n.\nMAIL FROM:<e@f>\r\n")),
    ]),
    FramerCase("PROXY v2 signature frames as empty lines", [13, 10, 13, 10, 0, 13, 10, 81, 85, 73, 84, 10], [
        .line([13, 10]), .line([13, 10]), .malformedLine(.nul, [0, 13, 10]),
    ]),
]

/// Long streams: every single cut point is tried.
private let longCases: [FramerCase] = [
    FramerCase("command line of exactly 512 octets is accepted", repeated("N", 510) + "\r\n", [
        .line(bytes(repeated("N", 510) + "\r\n")),
    ]),
    FramerCase("command line of 513 octets is refused", repeated("N", 511) + "\r\nQUIT\r\n", [
        .lineTooLong(limit: 512), .line(bytes("QUIT\r\n")),
    ]),
    FramerCase("command line of 514 octets is refused", repeated("N", 512) + "\r\nQUIT\r\n", [
        .lineTooLong(limit: 512), .line(bytes("QUIT\r\n")),
    ]),
    FramerCase("MAIL line of exactly 2048 octets is accepted", mail2046 + "\r\n", [.line(bytes(mail2046 + "\r\n"))]),
    FramerCase("MAIL line of 2049 octets is refused", mail2046 + "x\r\nQUIT\r\n", [
        .lineTooLong(limit: 2048), .line(bytes("QUIT\r\n")),
    ]),
    FramerCase("RCPT line of 2049 octets is refused", rcpt2047 + "\r\nQUIT\r\n", [
        .lineTooLong(limit: 2048), .line(bytes("QUIT\r\n")),
    ]),
    FramerCase("lower-case rcpt gets the long limit", "rcpt to:<a@b>" + repeated(" ", 2033) + "\r\n", [
        .line(bytes("rcpt to:<a@b>" + repeated(" ", 2033) + "\r\n")),
    ]),
    FramerCase("MAIL: with a colon gets the long limit", "MAIL:" + repeated("x", 1000) + "\r\n", [
        .line(bytes("MAIL:" + repeated("x", 1000) + "\r\n")),
    ]),
    FramerCase("MAILX gets the short limit", "MAILX" + repeated("x", 600) + "\r\n", [.lineTooLong(limit: 512)]),
    FramerCase("overlong tail is never a command", repeated("A", 600) + "RCPT TO:<x@y>\r\n", [.lineTooLong(limit: 512)]),
    FramerCase("overlong tail is discarded, the next line is read",
               repeated("A", 600) + "RCPT TO:<x@y>\r\nQUIT\r\n", [.lineTooLong(limit: 512), .line(bytes("QUIT\r\n"))]),
    FramerCase("bare LF does not end an overlong tail",
               repeated("A", 600) + "\nRCPT TO:<x@y>\r\nNOOP\r\n", [.lineTooLong(limit: 512), .line(bytes("NOOP\r\n"))]),
    FramerCase("CR CR LF ends an overlong tail",
               repeated("A", 600) + "\r\r\nNOOP\r\n", [.lineTooLong(limit: 512), .line(bytes("NOOP\r\n"))]),
    FramerCase("two overlong lines are two events",
               repeated("A", 600) + "\r\n" + repeated("B", 700) + "\r\nQUIT\r\n",
               [.lineTooLong(limit: 512), .lineTooLong(limit: 512), .line(bytes("QUIT\r\n"))]),
    FramerCase("overlong line with bare LF inside the limit is too long, not malformed",
               "A\n" + repeated("A", 600) + "\r\nQUIT\r\n", [.lineTooLong(limit: 512), .line(bytes("QUIT\r\n"))]),
    FramerCase("line ending exactly at the limit then pipelined",
               repeated("N", 510) + "\r\n" + "QUIT\r\n", [.line(bytes(repeated("N", 510) + "\r\n")), .line(bytes("QUIT\r\n"))]),
]

@Suite("LineFramer")
struct LineFramerTests {
    @Test("whole stream in one append", arguments: shortCases + longCases)
    func wholeStream(_ testCase: FramerCase) {
        #expect(frame([testCase.stream]) == testCase.expected)
    }

    @Test("one byte per append", arguments: shortCases + longCases)
    func bytePerAppend(_ testCase: FramerCase) {
        #expect(frame(testCase.stream.map { [$0] }) == testCase.expected)
    }

    @Test("every cut into two appends", arguments: shortCases + longCases)
    func everyCut(_ testCase: FramerCase) {
        let stream = testCase.stream
        for cut in 0...stream.count {
            let events = frame([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(events == testCase.expected, "cut at \(cut)")
        }
    }

    @Test("every cut into three appends", arguments: shortCases)
    func everyDoubleCut(_ testCase: FramerCase) {
        let stream = testCase.stream
        for first in 0...stream.count {
            for second in first...stream.count {
                let events = frame([Array(stream[..<first]), Array(stream[first..<second]), Array(stream[second...])])
                #expect(events == testCase.expected, "cuts at \(first) and \(second)")
            }
        }
    }

    @Test("needs more bytes until the CRLF is complete")
    func needsMoreBytes() {
        var framer = LineFramer()
        framer.append(bytes("NOOP\r"))
        #expect(framer.nextEvent() == nil)
        framer.append(bytes("\n"))
        #expect(framer.nextEvent() == .line(bytes("NOOP\r\n")))
        #expect(framer.nextEvent() == nil)
    }

    @Test("lineTooLong is reported before the CRLF arrives")
    func tooLongReportedEarly() {
        var framer = LineFramer()
        framer.append(bytes(repeated("A", 511)))
        #expect(framer.nextEvent() == nil)
        framer.append(bytes("A"))
        #expect(framer.nextEvent() == .lineTooLong(limit: 512))
        #expect(framer.nextEvent() == nil)
        #expect(framer.isDiscardingOverlongLine)
        framer.append(bytes("RCPT TO:<x@y>\r\nQUIT\r\n"))
        #expect(framer.nextEvent() == .line(bytes("QUIT\r\n")))
        #expect(!framer.isDiscardingOverlongLine)
    }

    @Test("an overlong tail is never buffered, whatever its length")
    func boundedMemory() {
        var framer = LineFramer()
        var events: [FramerEvent] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 65_536)
        for _ in 0..<64 {
            framer.append(chunk)
            while let event = framer.nextEvent() { events.append(event) }
            #expect(framer.bufferedByteCount == 0)
        }
        framer.append(bytes("RCPT TO:<x@y>\r\nQUIT\r\n"))
        while let event = framer.nextEvent() { events.append(event) }
        #expect(events == [.lineTooLong(limit: 512), .line(bytes("QUIT\r\n"))])
    }

    @Test("a partial line never holds more than its limit")
    func partialLineBounded() {
        var framer = LineFramer()
        for _ in 0..<3000 {
            framer.append([UInt8(ascii: "x")])
            _ = framer.nextEvent()
            #expect(framer.bufferedByteCount < LineFramer.commandLineLimit)
        }
    }

    @Test("many pipelined lines across compactions come out intact and in order")
    func manyLines() {
        var framer = LineFramer()
        var received: [[UInt8]] = []
        var sent: [[UInt8]] = []
        for index in 0..<5000 {
            let line = bytes("RCPT TO:<user\(index)@example.org>\r\n")
            sent.append(line)
            framer.append(line)
            if index % 7 == 0 {
                while let event = framer.nextEvent() {
                    guard case .line(let bytes) = event else { Issue.record("unexpected \(event)"); return }
                    received.append(bytes)
                }
            }
        }
        while let event = framer.nextEvent() {
            guard case .line(let bytes) = event else { Issue.record("unexpected \(event)"); return }
            received.append(bytes)
        }
        #expect(received == sent)
    }

    @Test("takeBufferedBytes hands over what follows DATA and empties the framer")
    func takeBufferedBytes() {
        var framer = LineFramer()
        framer.append(bytes("DATA\r\nSubject: hi\r\n\r\nbody\r\n.\r"))
        #expect(framer.nextEvent() == .line(bytes("DATA\r\n")))
        #expect(framer.takeBufferedBytes() == bytes("Subject: hi\r\n\r\nbody\r\n.\r"))
        #expect(framer.bufferedByteCount == 0)
        #expect(framer.nextEvent() == nil)
        #expect(framer.takeBufferedBytes() == [])
        framer.append(bytes("QUIT\r\n"))
        #expect(framer.nextEvent() == .line(bytes("QUIT\r\n")))
    }

    @Test("takeBufferedBytes after a partial scan restarts the line scan")
    func takeAfterPartialScan() {
        var framer = LineFramer()
        framer.append(bytes("STARTTLS\r\nNOOP\nxx"))
        #expect(framer.nextEvent() == .line(bytes("STARTTLS\r\n")))
        #expect(framer.nextEvent() == nil)
        #expect(framer.takeBufferedBytes() == bytes("NOOP\nxx"))
        framer.append(bytes("EHLO a\r\n"))
        #expect(framer.nextEvent() == .line(bytes("EHLO a\r\n")))
    }

    @Test("append accepts any collection of bytes")
    func appendCollections() {
        var framer = LineFramer()
        framer.append(bytes("NO")[...])
        framer.append("OP\r\n".utf8)
        #expect(framer.nextEvent() == .line(bytes("NOOP\r\n")))
        framer.append(bytes(repeated("A", 600)))
        #expect(framer.nextEvent() == .lineTooLong(limit: 512))
        // Discarding straight from a non-contiguous collection.
        framer.append("AAAA\r\nQUIT\r\n".utf8.lazy.map { $0 })
        #expect(framer.nextEvent() == .line(bytes("QUIT\r\n")))
    }
}
