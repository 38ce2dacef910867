import Testing
import SMTPProtocol

struct ForwardPathCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let expected: Result<Mailbox, PathError>
    var testDescription: String { name }
}

private func accepts(
    _ name: String, _ text: String, local: String, quoted: Bool = false, domain: Domain?, route: [String] = []
) -> ForwardPathCase {
    let raw = String(text.dropFirst().dropLast())
    let mailbox = Mailbox(localPart: local, localPartIsQuoted: quoted, domain: domain, sourceRoute: route, raw: raw)
    return ForwardPathCase(name: name, text: text, expected: .success(mailbox))
}

private func refuses(_ name: String, _ text: String, _ error: PathError? = nil) -> ForwardPathCase {
    ForwardPathCase(name: name, text: text, expected: .failure(error ?? .syntax("")))
}

private func literal(_ literal: AddressLiteral) -> Domain { .addressLiteral(literal) }

/// A syntactically valid domain name of exactly `length` octets: the fewest labels of at most
/// 63 octets, of nearly equal length.
private func domainName(length: Int) -> String {
    let labelCount = (length + 1 + 63) / 64
    let letters = length - (labelCount - 1)
    return (0..<labelCount).map { index in
        String(repeating: "d", count: letters / labelCount + (index < letters % labelCount ? 1 : 0))
    }.joined(separator: ".")
}

private let a64 = String(repeating: "a", count: 64)
private let a65 = String(repeating: "a", count: 65)

private let forwardCases: [ForwardPathCase] = [
    // Plain mailboxes.
    accepts("simple mailbox", "<user@example.org>", local: "user", domain: .name("example.org")),
    accepts("case is preserved", "<User@Example.ORG>", local: "User", domain: .name("Example.ORG")),
    accepts("single-label domain", "<user@localhost>", local: "user", domain: .name("localhost")),
    accepts("one trailing dot is tolerated", "<user@example.org.>", local: "user", domain: .name("example.org.")),
    accepts("dotted local part", "<first.last@example.org>", local: "first.last", domain: .name("example.org")),
    accepts("atext specials in local part", "<a!#$%&'*+-/=?^_`{|}~z@example.org>",
            local: "a!#$%&'*+-/=?^_`{|}~z", domain: .name("example.org")),
    accepts("hyphen and digits in labels", "<u@mx-1.a2.example>", local: "u", domain: .name("mx-1.a2.example")),
    accepts("label of 63 octets", "<u@\(String(repeating: "l", count: 63)).example>",
            local: "u", domain: .name("\(String(repeating: "l", count: 63)).example")),

    // The relay-test address forms (relayguard.conf(5), RELAY DECISION, the article's tests 6 and 7).
    accepts("postmaster without domain", "<postmaster>", local: "postmaster", domain: nil),
    accepts("Postmaster in another case", "<Postmaster>", local: "Postmaster", domain: nil),
    accepts("percent hack is a bare local part", "<user%remote.example>", local: "user%remote.example", domain: nil),
    accepts("quoted address is a bare quoted local part", "<\"user@remote.example\">",
            local: "user@remote.example", quoted: true, domain: nil),
    accepts("bang path with domain first", "<remote.example!user>", local: "remote.example!user", domain: nil),
    accepts("bang path", "<remote!user>", local: "remote!user", domain: nil),
    accepts("percent hack with a local domain", "<user%remote.example@local.example>",
            local: "user%remote.example", domain: .name("local.example")),
    accepts("quoted address at a local domain", "<\"user@remote.example\"@local.example>",
            local: "user@remote.example", quoted: true, domain: .name("local.example")),
    accepts("source route", "<@relay.example:user@remote.example>", local: "user",
            domain: .name("remote.example"), route: ["relay.example"]),
    accepts("source route of two hops", "<@a.example,@b.example:user@c.example>", local: "user",
            domain: .name("c.example"), route: ["a.example", "b.example"]),
    refuses("double at", "<user@remote.example@local.example>"),
    accepts("IPv4 address literal", "<user@[192.0.2.25]>", local: "user", domain: literal(.ipv4("192.0.2.25"))),
    accepts("IPv6 address literal", "<user@[IPv6:2001:db8::1]>", local: "user", domain: literal(.ipv6("2001:db8::1"))),

    // Quoted local parts.
    accepts("quoted local part with space", "<\"john smith\"@example.org>", local: "john smith", quoted: true,
            domain: .name("example.org")),
    accepts("quoted pair decodes a quote", "<\"a\\\"b\"@example.org>", local: "a\"b", quoted: true, domain: .name("example.org")),
    accepts("quoted pair decodes a backslash", "<\"a\\\\b\"@example.org>", local: "a\\b", quoted: true, domain: .name("example.org")),
    accepts("quoted pair of an ordinary character", "<\"\\a\"@example.org>", local: "a", quoted: true, domain: .name("example.org")),
    accepts("angle bracket inside quotes", "<\"a>b\"@example.org>", local: "a>b", quoted: true, domain: .name("example.org")),
    accepts("empty quoted local part", "<\"\"@example.org>", local: "", quoted: true, domain: .name("example.org")),
    refuses("unterminated quoted local part", "<\"abc@example.org>"),
    refuses("control character in quoted local part", "<\"a\u{01}b\"@example.org>"),
    refuses("quoted pair of a control character", "<\"a\\\u{01}\"@example.org>"),
    refuses("text after the quoted local part", "<\"a\"b@example.org>"),

    // Address literals.
    accepts("IPv6 tag in lower case", "<u@[ipv6:::1]>", local: "u", domain: literal(.ipv6("::1"))),
    accepts("IPv6 all zeros", "<u@[IPv6:::]>", local: "u", domain: literal(.ipv6("::"))),
    accepts("IPv6 full form", "<u@[IPv6:2001:db8:0:0:0:0:0:1]>", local: "u", domain: literal(.ipv6("2001:db8:0:0:0:0:0:1"))),
    accepts("IPv6 trailing compression", "<u@[IPv6:2001:db8::]>", local: "u", domain: literal(.ipv6("2001:db8::"))),
    accepts("IPv6 compression of one group", "<u@[IPv6:1:2:3:4:5:6:7::]>", local: "u", domain: literal(.ipv6("1:2:3:4:5:6:7::"))),
    accepts("IPv6 with embedded IPv4", "<u@[IPv6:::ffff:192.0.2.1]>", local: "u", domain: literal(.ipv6("::ffff:192.0.2.1"))),
    accepts("IPv6 full form with IPv4", "<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", local: "u",
            domain: literal(.ipv6("1:2:3:4:5:6:192.0.2.1"))),
    accepts("IPv6 upper-case hex", "<u@[IPv6:2001:DB8::ABCD]>", local: "u", domain: literal(.ipv6("2001:DB8::ABCD"))),
    accepts("general address literal", "<u@[x400:c=us;a=b]>", local: "u", domain: literal(.general(tag: "x400", content: "c=us;a=b"))),
    accepts("IPv4 literal 0.0.0.0", "<u@[0.0.0.0]>", local: "u", domain: literal(.ipv4("0.0.0.0"))),
    accepts("IPv4 literal 255.255.255.255", "<u@[255.255.255.255]>", local: "u", domain: literal(.ipv4("255.255.255.255"))),
    refuses("IPv4 octet over 255", "<u@[192.0.2.256]>"),
    refuses("IPv4 with three octets", "<u@[192.0.2]>"),
    refuses("IPv4 with five octets", "<u@[192.0.2.1.5]>"),
    refuses("IPv4 octet of four digits", "<u@[192.0.2.0001]>"),
    refuses("IPv4 empty octet", "<u@[192..2.1]>"),
    refuses("IPv6 triple colon", "<u@[IPv6:2001:db8:::1]>"),
    refuses("IPv6 two compressions", "<u@[IPv6:1::2::3]>"),
    refuses("IPv6 group of five digits", "<u@[IPv6:12345::1]>"),
    refuses("IPv6 nine groups", "<u@[IPv6:1:2:3:4:5:6:7:8:9]>"),
    refuses("IPv6 seven groups without compression", "<u@[IPv6:1:2:3:4:5:6:7]>"),
    refuses("IPv6 eight groups plus compression", "<u@[IPv6:1:2:3:4:5:6:7:8::]>"),
    refuses("IPv6 with IPv4 too many groups", "<u@[IPv6:1:2:3:4:5:6:7:192.0.2.1]>"),
    refuses("IPv6 compressed with IPv4 too many groups", "<u@[IPv6:1:2:3:4:5:6::192.0.2.1]>"),
    refuses("IPv6 with a bad IPv4", "<u@[IPv6:::1.2.3]>"),
    refuses("IPv6 with IPv4 before the compression", "<u@[IPv6:1.2.3.4::]>"),
    refuses("IPv6 non-hex digit", "<u@[IPv6:g::1]>"),
    refuses("IPv6 empty", "<u@[IPv6:]>"),
    refuses("IPv6 single leading colon", "<u@[IPv6::1]>"),
    refuses("IPv6 single trailing colon", "<u@[IPv6:1:2:3:4:5:6:7:]>"),
    refuses("IPv6 zone index", "<u@[IPv6:fe80::1%eth0]>"),
    refuses("IPv6 without tag", "<u@[2001:db8::1]>"),
    refuses("non-ASCII in IPv6 literal", "<u@[IPv6:é::1]>"),
    refuses("general literal with space", "<u@[x400:a b]>"),
    refuses("general literal with empty content", "<u@[x400:]>"),
    refuses("general literal with tag ending in hyphen", "<u@[x-:abc]>"),
    refuses("general literal with tag starting with a digit", "<u@[4x:abc]>"),
    accepts("general literal with digits and hyphen in the tag", "<u@[x-400:abc]>", local: "u",
            domain: literal(.general(tag: "x-400", content: "abc"))),
    refuses("literal that is nothing", "<u@[not-a-literal]>"),
    refuses("empty literal", "<u@[]>"),
    refuses("literal without closing bracket", "<u@[192.0.2.1>"),
    refuses("text after the literal", "<u@[192.0.2.1]x>"),
    refuses("literal in the source route", "<@[192.0.2.1]:u@example.org>"),

    // Broken paths.
    refuses("no angle brackets", "user@example.org"),
    refuses("no closing bracket", "<user@example.org"),
    refuses("null path is no recipient", "<>"),
    refuses("empty", ""),
    refuses("space before the mailbox", "< user@example.org>"),
    refuses("space in the local part", "<us er@example.org>"),
    refuses("space before the domain", "<user@ example.org>"),
    refuses("leading dot in local part", "<.user@example.org>"),
    refuses("trailing dot in local part", "<user.@example.org>"),
    refuses("two dots in local part", "<us..er@example.org>"),
    refuses("empty local part", "<@example.org>"),
    refuses("empty domain", "<user@>"),
    refuses("at alone", "<@>"),
    refuses("empty first label", "<user@.example.org>"),
    refuses("two trailing dots", "<user@example.org..>"),
    refuses("empty inner label", "<user@example..org>"),
    refuses("label starting with hyphen", "<user@-x.example>"),
    refuses("label ending with hyphen", "<user@x-.example>"),
    refuses("underscore in domain", "<user@a_b.example>"),
    refuses("label of 64 octets", "<u@\(String(repeating: "l", count: 64)).example>"),
    refuses("source route without colon", "<@relay.example>"),
    refuses("source route without mailbox", "<@relay.example:>"),
    refuses("source route before a bare local part", "<@relay.example:user>"),
    refuses("source route with comma but no at", "<@a.example,b.example:u@c.example>"),
    refuses("source route ending with comma", "<@a.example,:u@c.example>"),
    refuses("parenthesis is not atext", "<us(er)@example.org>"),
    refuses("nested angle brackets", "<<user@example.org>>"),

    // RFC 6531 UTF-8.
    accepts("UTF-8 local part and domain", "<用户@例子.广告>", local: "用户", domain: .name("例子.广告")),
    accepts("UTF-8 accented local part", "<josé@exämple.org>", local: "josé", domain: .name("exämple.org")),
    accepts("UTF-8 in a quoted local part", "<\"jo sé\"@example.org>", local: "jo sé", quoted: true, domain: .name("example.org")),
    accepts("UTF-8 bare local part", "<prénom>", local: "prénom", domain: nil),

    // RFC 5321 section 4.5.3.1 limits.
    accepts("local part of 64 octets", "<\(a64)@example.org>", local: a64, domain: .name("example.org")),
    refuses("local part of 65 octets", "<\(a65)@example.org>", .localPartTooLong),
    refuses("bare local part of 65 octets", "<\(a65)>", .localPartTooLong),
    refuses("quoted local part of 65 octets with its quotes", "<\"\(String(repeating: "a", count: 63))\"@example.org>", .localPartTooLong),
    refuses("UTF-8 local part over 64 octets", "<\(String(repeating: "é", count: 33))@example.org>", .localPartTooLong),
    refuses("domain of 256 octets", "<u@\(domainName(length: 256))>", .domainTooLong),
    refuses("domain of 255 octets makes the path too long", "<u@\(domainName(length: 255))>", .pathTooLong),
    accepts("path of exactly 256 octets", "<\(a64)@\(domainName(length: 189))>", local: a64, domain: .name(domainName(length: 189))),
    refuses("path of 257 octets", "<\(a64)@\(domainName(length: 190))>", .pathTooLong),
    refuses("source route makes the path too long", "<@\(domainName(length: 250)):u@example.org>", .pathTooLong),
]

struct ReversePathCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let expected: Result<ReversePath, PathError>
    var testDescription: String { name }
}

private let reverseCases: [ReversePathCase] = [
    ReversePathCase(name: "null sender", text: "<>", expected: .success(.null)),
    ReversePathCase(name: "mailbox", text: "<alice@local.example>", expected: .success(.mailbox(
        Mailbox(localPart: "alice", domain: .name("local.example"), raw: "alice@local.example")))),
    ReversePathCase(name: "local user without domain", text: "<localuser>", expected: .success(.mailbox(
        Mailbox(localPart: "localuser", domain: nil, raw: "localuser")))),
    ReversePathCase(name: "sender at the server's IP literal", text: "<user@[192.0.2.1]>", expected: .success(.mailbox(
        Mailbox(localPart: "user", domain: .addressLiteral(.ipv4("192.0.2.1")), raw: "user@[192.0.2.1]")))),
    ReversePathCase(name: "space inside null path", text: "< >", expected: .failure(.syntax(""))),
    ReversePathCase(name: "no brackets", text: "alice@local.example", expected: .failure(.syntax(""))),
    ReversePathCase(name: "double at", text: "<a@b@c>", expected: .failure(.syntax(""))),
    ReversePathCase(name: "local part too long", text: "<\(a65)@example.org>", expected: .failure(.localPartTooLong)),
]

/// Compares results, treating every `.syntax` failure as equal (the text is for the log).
private func sameOutcome<T: Equatable>(_ actual: Result<T, PathError>, _ expected: Result<T, PathError>) -> Bool {
    switch (actual, expected) {
    case (.failure(.syntax), .failure(.syntax)): true
    default: actual == expected
    }
}

@Suite("PathParser")
struct PathParserTests {
    @Test("forward path", arguments: forwardCases)
    func forwardPath(_ testCase: ForwardPathCase) {
        let result = PathParser.parseForwardPath(testCase.text[...])
        #expect(sameOutcome(result, testCase.expected), "got \(result)")
    }

    @Test("reverse path", arguments: reverseCases)
    func reversePath(_ testCase: ReversePathCase) {
        let result = PathParser.parseReversePath(testCase.text[...])
        #expect(sameOutcome(result, testCase.expected), "got \(result)")
    }

    @Test("every forward path that parses is also a valid reverse path", arguments: forwardCases)
    func forwardIsReverse(_ testCase: ForwardPathCase) {
        guard case .success(let mailbox) = testCase.expected else { return }
        #expect(PathParser.parseReversePath(testCase.text[...]) == .success(.mailbox(mailbox)))
    }

    @Test("a syntax error says where it went wrong")
    func syntaxErrorText() {
        #expect(PathParser.parseForwardPath("<a@b@c>"[...]) == .failure(.syntax("more than one '@'")))
        #expect(PathParser.parseForwardPath("<>"[...]) == .failure(.syntax("null path <> is not a recipient")))
    }

    @Test("a path inside a longer line is parsed from its substring")
    func substringOfLine() {
        let line = "RCPT TO:<user@example.org> NOTIFY=NEVER"
        let start = line.firstIndex(of: "<")!
        let end = line.index(after: line.firstIndex(of: ">")!)
        #expect(PathParser.parseForwardPath(line[start..<end]).map(\.raw) == .success("user@example.org"))
    }

    @Test("test helper builds domains of the requested length")
    func domainHelper() {
        for length in [189, 190, 200, 255, 256] {
            let name = domainName(length: length)
            #expect(name.utf8.count == length)
            #expect(PathParser.parseForwardPath("<u@\(name)>"[...]) != .failure(.syntax("empty domain label")))
        }
    }
}
