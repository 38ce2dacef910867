import Testing
import SMTPProtocol

struct CommandCase: Sendable, CustomTestStringConvertible {
    let name: String
    let line: [UInt8]
    let expected: Result<Command, CommandError>
    var testDescription: String { name }

    init(_ name: String, _ line: String, _ expected: Command) {
        self.init(name, Array(line.utf8), .success(expected))
    }

    init(_ name: String, _ line: String, _ error: CommandError) {
        self.init(name, Array(line.utf8), .failure(error))
    }

    init(_ name: String, _ line: [UInt8], _ expected: Result<Command, CommandError>) {
        self.name = name
        self.line = line
        self.expected = expected
    }
}

/// Blanks the free-text details, which are for the log: tests compare the error cases.
private func shape(_ result: Result<Command, CommandError>) -> Result<Command, CommandError> {
    func blank(_ error: PathError) -> PathError {
        if case .syntax = error { return .syntax("") }
        return error
    }
    guard case .failure(let error) = result else { return result }
    switch error {
    case .badArgument(let verb, _): return .failure(.badArgument(verb, detail: ""))
    case .badParameter(let verb, let keyword, _): return .failure(.badParameter(verb, keyword: keyword, detail: ""))
    case .badSenderPath(let pathError): return .failure(.badSenderPath(blank(pathError)))
    case .badRecipientPath(let pathError): return .failure(.badRecipientPath(blank(pathError)))
    case .lineTooLong, .malformedLine, .missingVerb, .unexpectedArgument, .missingArgument, .unsupportedParameter:
        return result
    }
}

private let pathSyntax = PathError.syntax("")

private func box(_ text: String, local: String, quoted: Bool = false, domain: Domain?, route: [String] = []) -> Mailbox {
    Mailbox(localPart: local, localPartIsQuoted: quoted, domain: domain, sourceRoute: route, raw: text)
}

private func mail(_ sender: ReversePath, _ parameters: MailParameters = MailParameters()) -> Command {
    .mail(MailCommand(reversePath: sender, parameters: parameters))
}

private func mail(_ address: String, local: String, domain: String, _ parameters: MailParameters = MailParameters()) -> Command {
    mail(.mailbox(box(address, local: local, domain: .name(domain))), parameters)
}

private func rcpt(_ mailbox: Mailbox, _ parameters: RecipientParameters = RecipientParameters()) -> Command {
    .rcpt(RecipientCommand(forwardPath: mailbox, parameters: parameters))
}

private let bob = box("bob@local.example", local: "bob", domain: .name("local.example"))
private let alice = "alice@local.example"
private func aliceFrom(_ parameters: MailParameters = MailParameters()) -> Command {
    mail(alice, local: "alice", domain: "local.example", parameters)
}

private let commandCases: [CommandCase] = [
    // HELO and EHLO.
    CommandCase("EHLO with CRLF", "EHLO client.example\r\n", .ehlo("client.example")),
    CommandCase("EHLO without CRLF", "EHLO client.example", .ehlo("client.example")),
    CommandCase("ehlo in lower case", "ehlo client.example\r\n", .ehlo("client.example")),
    CommandCase("HELO with address literal", "HELO [192.0.2.1]\r\n", .helo("[192.0.2.1]")),
    CommandCase("EHLO trailing spaces trimmed", "EHLO client.example  \r\n", .ehlo("client.example")),
    CommandCase("EHLO with two words kept whole", "EHLO a b\r\n", .ehlo("a b")),
    CommandCase("EHLO UTF-8 name", "EHLO exämple.org\r\n", .ehlo("exämple.org")),
    CommandCase("EHLO without argument", "EHLO\r\n", .missingArgument(.ehlo)),
    CommandCase("EHLO with spaces only", "EHLO   \r\n", .missingArgument(.ehlo)),
    CommandCase("HELO without argument", "HELO\r\n", .missingArgument(.helo)),
    CommandCase("EHLO with invalid UTF-8", Array("EHLO a".utf8) + [0xC3, 13, 10], .failure(.badArgument(.ehlo, detail: ""))),

    // Commands without arguments.
    CommandCase("DATA", "DATA\r\n", .data),
    CommandCase("data in lower case", "data\r\n", .data),
    CommandCase("DATA with trailing space", "DATA \r\n", .data),
    CommandCase("DATA with argument", "DATA now\r\n", .unexpectedArgument(.data)),
    CommandCase("RSET", "RSET\r\n", .rset),
    CommandCase("RSET with argument", "RSET x\r\n", .unexpectedArgument(.rset)),
    CommandCase("QUIT", "QUIT\r\n", .quit),
    CommandCase("Quit in mixed case", "QuIt\r\n", .quit),
    CommandCase("QUIT with argument", "QUIT now\r\n", .unexpectedArgument(.quit)),
    CommandCase("STARTTLS", "STARTTLS\r\n", .starttls),
    CommandCase("STARTTLS with argument", "STARTTLS x\r\n", .unexpectedArgument(.starttls)),
    CommandCase("NOOP", "NOOP\r\n", .noop),
    CommandCase("NOOP with a string", "NOOP hello there\r\n", .noop),
    CommandCase("HELP", "HELP\r\n", .help),
    CommandCase("HELP with a topic", "HELP MAIL\r\n", .help),

    // VRFY, EXPN.
    CommandCase("VRFY", "VRFY alice\r\n", .vrfy("alice")),
    CommandCase("VRFY without argument", "VRFY\r\n", .missingArgument(.vrfy)),
    CommandCase("EXPN", "EXPN staff\r\n", .expn("staff")),
    CommandCase("EXPN without argument", "EXPN\r\n", .missingArgument(.expn)),

    // AUTH.
    CommandCase("AUTH PLAIN", "AUTH PLAIN\r\n", .auth(mechanism: "PLAIN", initialResponse: nil)),
    CommandCase("AUTH with initial response", "AUTH plain AGFsaWNlAHNlY3JldA==\r\n",
                .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")),
    CommandCase("AUTH with empty initial response", "AUTH LOGIN =\r\n", .auth(mechanism: "LOGIN", initialResponse: "=")),
    CommandCase("AUTH SCRAM mechanism", "AUTH SCRAM-SHA-256\r\n", .auth(mechanism: "SCRAM-SHA-256", initialResponse: nil)),
    CommandCase("AUTH without mechanism", "AUTH\r\n", .missingArgument(.auth)),
    CommandCase("AUTH with bad mechanism", "AUTH PL@IN\r\n", .badArgument(.auth, detail: "")),
    CommandCase("AUTH mechanism of 21 characters", "AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", .badArgument(.auth, detail: "")),
    CommandCase("AUTH response not base64", "AUTH PLAIN abc\r\n", .badArgument(.auth, detail: "")),
    CommandCase("AUTH response with inner padding", "AUTH PLAIN ab=c\r\n", .badArgument(.auth, detail: "")),
    CommandCase("AUTH response with three padding", "AUTH PLAIN a===\r\n", .badArgument(.auth, detail: "")),
    CommandCase("AUTH with too many arguments", "AUTH PLAIN AAAA BBBB\r\n", .badArgument(.auth, detail: "")),

    // Recognised but refused.
    CommandCase("BDAT", "BDAT 100 LAST\r\n", .bdat),
    CommandCase("XCLIENT", "XCLIENT ADDR=192.0.2.1\r\n", .xclient),
    CommandCase("XFORWARD", "XFORWARD NAME=spoofed.example\r\n", .xforward),
    CommandCase("ETRN", "ETRN example.org\r\n", .etrn),
    CommandCase("TURN", "TURN\r\n", .turn),

    // Not SMTP.
    CommandCase("PROXY v1 header", "PROXY TCP4 192.0.2.1 192.0.2.2 1234 25\r\n", .proxyHeader),
    CommandCase("proxy in lower case", "proxy tcp4\r\n", .proxyHeader),
    CommandCase("HTTP GET", "GET / HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP get in lower case", "get /\r\n", .nonSMTP),
    CommandCase("HTTP POST", "POST /form HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP HEAD", "HEAD / HTTP/1.0\r\n", .nonSMTP),
    CommandCase("HTTP PUT", "PUT /x HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP DELETE", "DELETE /x HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP OPTIONS", "OPTIONS * HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP CONNECT", "CONNECT mail.example:25 HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP PATCH", "PATCH /x HTTP/1.1\r\n", .nonSMTP),
    CommandCase("HTTP TRACE", "TRACE / HTTP/1.1\r\n", .nonSMTP),
    CommandCase("Host header", "Host: mail.example\r\n", .nonSMTP),
    CommandCase("User-Agent header", "User-Agent: curl/8.0\r\n", .nonSMTP),
    CommandCase("Subject header without value", "Subject:\r\n", .nonSMTP),
    CommandCase("mail header From", "From: alice@local.example\r\n", .nonSMTP),
    CommandCase("TLS ClientHello bytes", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 13, 10], .success(.nonSMTP)),
    CommandCase("escape character", [0x1B, 0x5B, 0x41, 13, 10], .success(.nonSMTP)),
    CommandCase("DEL character", Array("NOOP".utf8) + [0x7F, 13, 10], .success(.nonSMTP)),
    CommandCase("bare LF passed to the parser", "NOOP\nQUIT\r\n", .nonSMTP),

    // Unknown and empty.
    CommandCase("unknown verb", "FOO bar\r\n", .unknown("FOO")),
    CommandCase("unknown verb keeps its case", "Xyzzy\r\n", .unknown("Xyzzy")),
    CommandCase("SEND is not supported", "SEND FROM:<a@b>\r\n", .unknown("SEND")),
    CommandCase("colon alone is no header", ":\r\n", .unknown(":")),
    CommandCase("empty line", "\r\n", .missingVerb),
    CommandCase("empty input", "", .missingVerb),
    CommandCase("leading space", " NOOP\r\n", .missingVerb),

    // MAIL FROM.
    CommandCase("MAIL FROM", "MAIL FROM:<alice@local.example>\r\n", aliceFrom()),
    CommandCase("mail from in lower case", "mail from:<alice@local.example>\r\n", aliceFrom()),
    CommandCase("MAIL FROM null sender", "MAIL FROM:<>\r\n", mail(.null)),
    CommandCase("MAIL FROM space after colon", "MAIL FROM: <alice@local.example>\r\n", aliceFrom()),
    CommandCase("MAIL FROM spaces after colon", "MAIL FROM:   <>\r\n", mail(.null)),
    CommandCase("MAIL two spaces before FROM", "MAIL  FROM:<>\r\n", mail(.null)),
    CommandCase("MAIL FROM trailing spaces", "MAIL FROM:<>  \r\n", mail(.null)),
    CommandCase("MAIL FROM local user", "MAIL FROM:<localuser>\r\n", mail(.mailbox(box("localuser", local: "localuser", domain: nil)))),
    CommandCase("MAIL FROM UTF-8 with SMTPUTF8", "MAIL FROM:<josé@exämple.org> SMTPUTF8\r\n",
                mail("josé@exämple.org", local: "josé", domain: "exämple.org", MailParameters(smtpUTF8: true))),
    CommandCase("MAIL FROM without brackets", "MAIL FROM:alice@local.example\r\n", .badSenderPath(pathSyntax)),
    CommandCase("MAIL FROM without path", "MAIL FROM:\r\n", .badSenderPath(pathSyntax)),
    CommandCase("MAIL FROM without closing bracket", "MAIL FROM:<alice@local.example\r\n", .badSenderPath(pathSyntax)),
    CommandCase("MAIL FROM double at", "MAIL FROM:<a@b@c>\r\n", .badSenderPath(pathSyntax)),
    CommandCase("MAIL FROM text glued after path", "MAIL FROM:<a@b>x\r\n", .badSenderPath(pathSyntax)),
    CommandCase("MAIL FROM invalid UTF-8", Array("MAIL FROM:<jos".utf8) + [0xC3] + Array("@example.org>\r\n".utf8),
                .failure(.badSenderPath(pathSyntax))),
    CommandCase("MAIL FROM local part too long", "MAIL FROM:<\(String(repeating: "a", count: 65))@b.example>\r\n",
                .badSenderPath(.localPartTooLong)),
    CommandCase("MAIL TO is not MAIL FROM", "MAIL TO:<a@b>\r\n", .badArgument(.mail, detail: "")),
    CommandCase("MAIL without argument", "MAIL\r\n", .badArgument(.mail, detail: "")),
    CommandCase("MAIL FROM without colon", "MAIL FROM <a@b>\r\n", .badArgument(.mail, detail: "")),
    CommandCase("MAIL:FROM without space", "MAIL:FROM:<a@b>\r\n", .unknown("MAIL:FROM:<a@b>")),

    // MAIL parameters.
    CommandCase("SIZE", "MAIL FROM:<alice@local.example> SIZE=12345\r\n", aliceFrom(MailParameters(size: 12345))),
    CommandCase("SIZE zero", "MAIL FROM:<alice@local.example> SIZE=0\r\n", aliceFrom(MailParameters(size: 0))),
    CommandCase("SIZE of UInt64 max", "MAIL FROM:<alice@local.example> SIZE=18446744073709551615\r\n",
                aliceFrom(MailParameters(size: UInt64.max))),
    CommandCase("SIZE overflowing", "MAIL FROM:<alice@local.example> SIZE=99999999999999999999\r\n",
                .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("SIZE without value", "MAIL FROM:<alice@local.example> SIZE\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("SIZE with empty value", "MAIL FROM:<alice@local.example> SIZE=\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("SIZE not a number", "MAIL FROM:<alice@local.example> SIZE=12a\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("SIZE negative", "MAIL FROM:<alice@local.example> SIZE=-1\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("BODY=8BITMIME", "MAIL FROM:<alice@local.example> BODY=8BITMIME\r\n", aliceFrom(MailParameters(body: .eightBitMIME))),
    CommandCase("body=8bitmime in lower case", "MAIL FROM:<alice@local.example> body=8bitmime\r\n", aliceFrom(MailParameters(body: .eightBitMIME))),
    CommandCase("BODY=7BIT", "MAIL FROM:<alice@local.example> BODY=7BIT\r\n", aliceFrom(MailParameters(body: .sevenBit))),
    CommandCase("BODY=BINARYMIME", "MAIL FROM:<alice@local.example> BODY=BINARYMIME\r\n", aliceFrom(MailParameters(body: .binaryMIME))),
    CommandCase("BODY unknown", "MAIL FROM:<alice@local.example> BODY=9BIT\r\n", .badParameter(.mail, keyword: "BODY", detail: "")),
    CommandCase("SMTPUTF8", "MAIL FROM:<alice@local.example> SMTPUTF8\r\n", aliceFrom(MailParameters(smtpUTF8: true))),
    CommandCase("SMTPUTF8 with value", "MAIL FROM:<alice@local.example> SMTPUTF8=yes\r\n", .badParameter(.mail, keyword: "SMTPUTF8", detail: "")),
    CommandCase("RET=FULL", "MAIL FROM:<alice@local.example> RET=FULL\r\n", aliceFrom(MailParameters(dsnReturn: .full))),
    CommandCase("ret=hdrs", "MAIL FROM:<alice@local.example> ret=hdrs\r\n", aliceFrom(MailParameters(dsnReturn: .headers))),
    CommandCase("RET unknown", "MAIL FROM:<alice@local.example> RET=NONE\r\n", .badParameter(.mail, keyword: "RET", detail: "")),
    CommandCase("ENVID", "MAIL FROM:<alice@local.example> ENVID=QQ314159\r\n", aliceFrom(MailParameters(envelopeID: "QQ314159"))),
    CommandCase("ENVID with hexchar", "MAIL FROM:<alice@local.example> ENVID=a+2Bb\r\n", aliceFrom(MailParameters(envelopeID: "a+2Bb"))),
    CommandCase("ENVID truncated hexchar", "MAIL FROM:<alice@local.example> ENVID=a+2\r\n", .badParameter(.mail, keyword: "ENVID", detail: "")),
    CommandCase("ENVID bad hexchar", "MAIL FROM:<alice@local.example> ENVID=a+ZZ\r\n", .badParameter(.mail, keyword: "ENVID", detail: "")),
    CommandCase("ENVID of 100 characters", "MAIL FROM:<alice@local.example> ENVID=\(String(repeating: "e", count: 100))\r\n",
                aliceFrom(MailParameters(envelopeID: String(repeating: "e", count: 100)))),
    CommandCase("ENVID of 101 characters", "MAIL FROM:<alice@local.example> ENVID=\(String(repeating: "e", count: 101))\r\n",
                .badParameter(.mail, keyword: "ENVID", detail: "")),
    CommandCase("ENVID with UTF-8", "MAIL FROM:<alice@local.example> ENVID=é\r\n", .badParameter(.mail, keyword: "ENVID", detail: "")),
    CommandCase("AUTH=<>", "MAIL FROM:<alice@local.example> AUTH=<>\r\n", aliceFrom(MailParameters(authenticatedSender: "<>"))),
    CommandCase("AUTH=xtext", "MAIL FROM:<alice@local.example> AUTH=alice+40local.example\r\n",
                aliceFrom(MailParameters(authenticatedSender: "alice+40local.example"))),
    CommandCase("AUTH= with equals sign", "MAIL FROM:<alice@local.example> AUTH=a=b\r\n", .badParameter(.mail, keyword: "AUTH", detail: "")),
    CommandCase("all MAIL parameters", "MAIL FROM:<alice@local.example> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>\r\n",
                aliceFrom(MailParameters(size: 10, body: .eightBitMIME, smtpUTF8: true, dsnReturn: .headers,
                                         envelopeID: "x", authenticatedSender: "<>"))),
    CommandCase("several spaces between parameters", "MAIL FROM:<alice@local.example>  SIZE=10   BODY=7BIT  \r\n",
                aliceFrom(MailParameters(size: 10, body: .sevenBit))),
    CommandCase("null sender with SIZE", "MAIL FROM:<> SIZE=100\r\n", mail(.null, MailParameters(size: 100))),
    CommandCase("unknown MAIL parameter", "MAIL FROM:<alice@local.example> FOO=bar\r\n", .unsupportedParameter(.mail, keyword: "FOO")),
    CommandCase("unknown MAIL parameter in lower case", "MAIL FROM:<alice@local.example> holdfor=10\r\n",
                .unsupportedParameter(.mail, keyword: "HOLDFOR")),
    CommandCase("RCPT parameter on MAIL", "MAIL FROM:<alice@local.example> NOTIFY=NEVER\r\n", .unsupportedParameter(.mail, keyword: "NOTIFY")),
    CommandCase("duplicate SIZE", "MAIL FROM:<alice@local.example> SIZE=1 size=2\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),
    CommandCase("duplicate SMTPUTF8", "MAIL FROM:<alice@local.example> SMTPUTF8 SMTPUTF8\r\n",
                .badParameter(.mail, keyword: "SMTPUTF8", detail: "")),
    CommandCase("keyword starting with hyphen", "MAIL FROM:<alice@local.example> -X=1\r\n", .badParameter(.mail, keyword: "-X", detail: "")),
    CommandCase("empty keyword", "MAIL FROM:<alice@local.example> =1\r\n", .badParameter(.mail, keyword: "", detail: "")),
    CommandCase("tab inside a parameter value", "MAIL FROM:<alice@local.example> SIZE=1\t\r\n", .badParameter(.mail, keyword: "SIZE", detail: "")),

    // RCPT TO.
    CommandCase("RCPT TO", "RCPT TO:<bob@local.example>\r\n", rcpt(bob)),
    CommandCase("rcpt to in lower case", "rcpt to:<bob@local.example>\r\n", rcpt(bob)),
    CommandCase("RCPT TO space after colon", "RCPT TO: <bob@local.example>\r\n", rcpt(bob)),
    CommandCase("RCPT TO postmaster", "RCPT TO:<postmaster>\r\n", rcpt(box("postmaster", local: "postmaster", domain: nil))),
    CommandCase("RCPT TO Postmaster", "RCPT TO:<Postmaster>\r\n", rcpt(box("Postmaster", local: "Postmaster", domain: nil))),
    CommandCase("RCPT TO percent hack", "RCPT TO:<user%remote.example>\r\n",
                rcpt(box("user%remote.example", local: "user%remote.example", domain: nil))),
    CommandCase("RCPT TO quoted address", "RCPT TO:<\"user@remote.example\">\r\n",
                rcpt(box("\"user@remote.example\"", local: "user@remote.example", quoted: true, domain: nil))),
    CommandCase("RCPT TO bang path", "RCPT TO:<remote.example!user>\r\n",
                rcpt(box("remote.example!user", local: "remote.example!user", domain: nil))),
    CommandCase("RCPT TO source route", "RCPT TO:<@relay.example:user@remote.example>\r\n",
                rcpt(box("@relay.example:user@remote.example", local: "user", domain: .name("remote.example"), route: ["relay.example"]))),
    CommandCase("RCPT TO double at", "RCPT TO:<user@remote.example@local.example>\r\n", .badRecipientPath(pathSyntax)),
    CommandCase("RCPT TO IPv4 literal", "RCPT TO:<user@[192.0.2.25]>\r\n",
                rcpt(box("user@[192.0.2.25]", local: "user", domain: .addressLiteral(.ipv4("192.0.2.25"))))),
    CommandCase("RCPT TO IPv6 literal", "RCPT TO:<user@[IPv6:2001:db8::1]>\r\n",
                rcpt(box("user@[IPv6:2001:db8::1]", local: "user", domain: .addressLiteral(.ipv6("2001:db8::1"))))),
    CommandCase("RCPT TO quoted local part with '>'", "RCPT TO:<\"a>b\"@local.example> NOTIFY=NEVER\r\n",
                rcpt(box("\"a>b\"@local.example", local: "a>b", quoted: true, domain: .name("local.example")),
                     RecipientParameters(notify: .never))),
    CommandCase("RCPT TO general literal with '>'", "RCPT TO:<u@[x400:a>b]>\r\n",
                rcpt(box("u@[x400:a>b]", local: "u", domain: .addressLiteral(.general(tag: "x400", content: "a>b"))))),
    CommandCase("RCPT TO UTF-8", "RCPT TO:<用户@例子.广告>\r\n", rcpt(box("用户@例子.广告", local: "用户", domain: .name("例子.广告")))),
    CommandCase("RCPT TO null path", "RCPT TO:<>\r\n", .badRecipientPath(pathSyntax)),
    CommandCase("RCPT TO without brackets", "RCPT TO:bob@local.example\r\n", .badRecipientPath(pathSyntax)),
    CommandCase("RCPT TO without path", "RCPT TO:\r\n", .badRecipientPath(pathSyntax)),
    CommandCase("RCPT TO local part too long", "RCPT TO:<\(String(repeating: "a", count: 65))@local.example>\r\n",
                .badRecipientPath(.localPartTooLong)),
    CommandCase("RCPT TO invalid UTF-8", Array("RCPT TO:<b".utf8) + [0xFF] + Array("b@local.example>\r\n".utf8),
                .failure(.badRecipientPath(pathSyntax))),
    CommandCase("RCPT TO overlong UTF-8 encoding", Array("RCPT TO:<".utf8) + [0xC0, 0xAF] + Array("@local.example>\r\n".utf8),
                .failure(.badRecipientPath(pathSyntax))),
    CommandCase("RCPT FROM is not RCPT TO", "RCPT FROM:<a@b>\r\n", .badArgument(.rcpt, detail: "")),
    CommandCase("RCPT without argument", "RCPT\r\n", .badArgument(.rcpt, detail: "")),

    // RCPT parameters.
    CommandCase("NOTIFY=NEVER", "RCPT TO:<bob@local.example> NOTIFY=NEVER\r\n", rcpt(bob, RecipientParameters(notify: .never))),
    CommandCase("NOTIFY all three", "RCPT TO:<bob@local.example> NOTIFY=SUCCESS,FAILURE,DELAY\r\n",
                rcpt(bob, RecipientParameters(notify: .on(success: true, failure: true, delay: true)))),
    CommandCase("notify in lower case", "RCPT TO:<bob@local.example> notify=failure,delay\r\n",
                rcpt(bob, RecipientParameters(notify: .on(success: false, failure: true, delay: true)))),
    CommandCase("NOTIFY=SUCCESS", "RCPT TO:<bob@local.example> NOTIFY=SUCCESS\r\n",
                rcpt(bob, RecipientParameters(notify: .on(success: true, failure: false, delay: false)))),
    CommandCase("NOTIFY NEVER with another", "RCPT TO:<bob@local.example> NOTIFY=NEVER,SUCCESS\r\n",
                .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("NOTIFY repeated item", "RCPT TO:<bob@local.example> NOTIFY=SUCCESS,SUCCESS\r\n",
                .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("NOTIFY trailing comma", "RCPT TO:<bob@local.example> NOTIFY=SUCCESS,\r\n",
                .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("NOTIFY unknown", "RCPT TO:<bob@local.example> NOTIFY=ALWAYS\r\n", .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("NOTIFY without value", "RCPT TO:<bob@local.example> NOTIFY\r\n", .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("ORCPT", "RCPT TO:<bob@local.example> ORCPT=rfc822;bob@local.example\r\n",
                rcpt(bob, RecipientParameters(originalRecipient: .init(addressType: "rfc822", address: "bob@local.example")))),
    CommandCase("ORCPT with hexchar", "RCPT TO:<bob@local.example> ORCPT=rfc822;bob+2Bx@local.example\r\n",
                rcpt(bob, RecipientParameters(originalRecipient: .init(addressType: "rfc822", address: "bob+2Bx@local.example")))),
    CommandCase("ORCPT utf-8 address", "RCPT TO:<bob@local.example> ORCPT=utf-8;用户@例子\r\n",
                rcpt(bob, RecipientParameters(originalRecipient: .init(addressType: "utf-8", address: "用户@例子")))),
    CommandCase("ORCPT without semicolon", "RCPT TO:<bob@local.example> ORCPT=rfc822\r\n", .badParameter(.rcpt, keyword: "ORCPT", detail: "")),
    CommandCase("ORCPT without type", "RCPT TO:<bob@local.example> ORCPT=;bob@local.example\r\n",
                .badParameter(.rcpt, keyword: "ORCPT", detail: "")),
    CommandCase("ORCPT without address", "RCPT TO:<bob@local.example> ORCPT=rfc822;\r\n", .badParameter(.rcpt, keyword: "ORCPT", detail: "")),
    CommandCase("ORCPT of 501 characters", "RCPT TO:<bob@local.example> ORCPT=rfc822;\(String(repeating: "o", count: 494))\r\n",
                .badParameter(.rcpt, keyword: "ORCPT", detail: "")),
    CommandCase("NOTIFY and ORCPT", "RCPT TO:<bob@local.example> NOTIFY=FAILURE ORCPT=rfc822;bob@local.example\r\n",
                rcpt(bob, RecipientParameters(notify: .on(success: false, failure: true, delay: false),
                                              originalRecipient: .init(addressType: "rfc822", address: "bob@local.example")))),
    CommandCase("duplicate NOTIFY", "RCPT TO:<bob@local.example> NOTIFY=NEVER NOTIFY=NEVER\r\n",
                .badParameter(.rcpt, keyword: "NOTIFY", detail: "")),
    CommandCase("MAIL parameter on RCPT", "RCPT TO:<bob@local.example> SIZE=1\r\n", .unsupportedParameter(.rcpt, keyword: "SIZE")),
    CommandCase("unknown RCPT parameter", "RCPT TO:<bob@local.example> XYZ\r\n", .unsupportedParameter(.rcpt, keyword: "XYZ")),
]


struct GroupCase: Sendable, CustomTestStringConvertible {
    let line: String
    let verb: String
    let isLastInGroup: Bool
    var testDescription: String { line }
}

private let groupCases: [GroupCase] = [
    GroupCase(line: "EHLO a", verb: "EHLO", isLastInGroup: true),
    GroupCase(line: "HELO a", verb: "HELO", isLastInGroup: true),
    GroupCase(line: "DATA", verb: "DATA", isLastInGroup: true),
    GroupCase(line: "STARTTLS", verb: "STARTTLS", isLastInGroup: true),
    GroupCase(line: "AUTH PLAIN", verb: "AUTH", isLastInGroup: true),
    GroupCase(line: "NOOP", verb: "NOOP", isLastInGroup: true),
    GroupCase(line: "QUIT", verb: "QUIT", isLastInGroup: true),
    GroupCase(line: "MAIL FROM:<>", verb: "MAIL", isLastInGroup: false),
    GroupCase(line: "RCPT TO:<postmaster>", verb: "RCPT", isLastInGroup: false),
    GroupCase(line: "RSET", verb: "RSET", isLastInGroup: false),
    GroupCase(line: "VRFY a", verb: "VRFY", isLastInGroup: false),
    GroupCase(line: "EXPN a", verb: "EXPN", isLastInGroup: false),
    GroupCase(line: "HELP", verb: "HELP", isLastInGroup: false),
    GroupCase(line: "BDAT 1", verb: "BDAT", isLastInGroup: false),
    GroupCase(line: "XCLIENT A=B", verb: "XCLIENT", isLastInGroup: false),
    GroupCase(line: "XFORWARD A=B", verb: "XFORWARD", isLastInGroup: false),
    GroupCase(line: "ETRN x", verb: "ETRN", isLastInGroup: false),
    GroupCase(line: "TURN", verb: "TURN", isLastInGroup: false),
    GroupCase(line: "PROXY TCP4", verb: "PROXY", isLastInGroup: false),
    GroupCase(line: "GET /", verb: "NON-SMTP", isLastInGroup: false),
    GroupCase(line: "wibble", verb: "wibble", isLastInGroup: false),
]

@Suite("CommandParser")
struct CommandParserTests {
    @Test("parse", arguments: commandCases)
    func parse(_ testCase: CommandCase) {
        let result = CommandParser.parse(testCase.line)
        #expect(shape(result) == shape(testCase.expected), "got \(result)")
    }

    @Test("pipelining group end and verb name", arguments: groupCases)
    func group(_ testCase: GroupCase) throws {
        let command = try CommandParser.parse(Array(testCase.line.utf8)).get()
        #expect(command.verb == testCase.verb)
        #expect((command.commandVerb?.rules.endsGroup ?? false) == testCase.isLastInGroup)
    }

    @Test("every known verb parses to its own command in any case", arguments: CommandVerb.allCases)
    func everyVerb(_ verb: CommandVerb) {
        let argument: String = switch verb {
        case .helo, .ehlo, .vrfy, .expn, .etrn: " x"
        case .mail: " FROM:<>"
        case .rcpt: " TO:<postmaster>"
        case .auth: " PLAIN"
        case .data, .rset, .noop, .quit, .help, .starttls, .bdat, .xclient, .xforward, .turn: ""
        }
        for spelling in [verb.rawValue, verb.rawValue.lowercased()] {
            let result = CommandParser.parse(Array((spelling + argument + "\r\n").utf8))
            #expect((try? result.get())?.verb == verb.rawValue, "\(spelling): \(result)")
        }
    }

    @Test("a bad recipient carries the path error for the relay policy")
    func badRecipientDetail() {
        let result = CommandParser.parse(Array("RCPT TO:<a@b@c>\r\n".utf8))
        #expect(result == .failure(.badRecipientPath(.syntax("more than one '@'"))))
    }

    @Test("framer and parser together: an overlong tail never reaches the parser")
    func framerAndParser() {
        var framer = LineFramer()
        framer.append(Array((String(repeating: "A", count: 600) + "RCPT TO:<x@y>\r\nQUIT\r\n").utf8))
        var commands: [Result<Command, CommandError>] = []
        while let event = framer.nextEvent() {
            switch event {
            case .line(let line): commands.append(CommandParser.parse(line))
            case .lineTooLong(let limit): commands.append(.failure(.lineTooLong(limit: limit)))
            case .malformedLine(let defect, _): commands.append(.failure(.malformedLine(defect)))
            }
        }
        #expect(commands == [.failure(.lineTooLong(limit: 512)), .success(.quit)])
    }
}
