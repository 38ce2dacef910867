import SMTPProtocol
import Testing
@testable import SMTPSession

/// The parser's errors as the client reads them: `CommandRefusal` is the one place they become
/// wire replies, and the machine writes exactly these (SessionMachineFramingTests).
struct CommandErrorReplyCase: Sendable, CustomTestStringConvertible {
    let name: String
    let error: CommandError
    let code: Int
    let enhanced: String
    let text: String
    var testDescription: String { name }
}

private let replyCases: [CommandErrorReplyCase] = [
    CommandErrorReplyCase(name: "line too long", error: .lineTooLong(limit: 512), code: 500, enhanced: "5.5.2", text: "Error: line too long"),
    CommandErrorReplyCase(name: "bare CR", error: .malformedLine(.bareCR), code: 500, enhanced: "5.5.2", text: "Error: bare CR or LF in command"),
    CommandErrorReplyCase(name: "bare LF", error: .malformedLine(.bareLF), code: 500, enhanced: "5.5.2", text: "Error: bare CR or LF in command"),
    CommandErrorReplyCase(name: "NUL", error: .malformedLine(.nul), code: 500, enhanced: "5.5.2", text: "Error: NUL in command"),
    CommandErrorReplyCase(name: "no verb", error: .missingVerb, code: 500, enhanced: "5.5.2", text: "Error: bad syntax"),
    CommandErrorReplyCase(name: "DATA with argument", error: .unexpectedArgument(.data), code: 501, enhanced: "5.5.4", text: "Syntax: DATA"),
    CommandErrorReplyCase(name: "EHLO without argument", error: .missingArgument(.ehlo), code: 501, enhanced: "5.5.4", text: "Syntax: EHLO hostname"),
    CommandErrorReplyCase(name: "MAIL without FROM", error: .badArgument(.mail, detail: "x"), code: 501, enhanced: "5.5.4", text: "Syntax: MAIL FROM:<address>"),
    CommandErrorReplyCase(name: "bad sender", error: .badSenderPath(.syntax("x")), code: 501, enhanced: "5.1.7", text: "Bad sender address syntax"),
    CommandErrorReplyCase(name: "bad recipient", error: .badRecipientPath(.syntax("x")), code: 501, enhanced: "5.1.3", text: "Bad recipient address syntax"),
    CommandErrorReplyCase(name: "recipient too long", error: .badRecipientPath(.pathTooLong), code: 501, enhanced: "5.1.3", text: "Bad recipient address syntax"),
    CommandErrorReplyCase(name: "unsupported parameter", error: .unsupportedParameter(.mail, keyword: "FOO"), code: 555, enhanced: "5.5.4",
              text: "Unsupported option: FOO"),
    CommandErrorReplyCase(name: "bad parameter", error: .badParameter(.mail, keyword: "SIZE", detail: "x"), code: 501, enhanced: "5.5.4",
              text: "Bad SIZE parameter syntax"),
]

@Suite("CommandRefusal")
struct CommandRefusalTests {
    @Test("the wire reply for each parser error", arguments: replyCases)
    func reply(_ testCase: CommandErrorReplyCase) {
        let reply = CommandRefusal.syntax(testCase.error).reply
        #expect(reply.code == testCase.code)
        #expect(reply.enhanced == testCase.enhanced)
        #expect(reply.text == testCase.text)
        #expect(!testCase.error.detail.isEmpty)
    }
}
