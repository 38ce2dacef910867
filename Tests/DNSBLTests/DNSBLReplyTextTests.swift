import Testing
@testable import DNSBL
import RelayPolicy
import DNSBL

@Suite("DNSBLReplyText")
struct DNSBLReplyTextTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var strings: [String]
        var limit: Int = DNSBLReplyText.defaultLimit
        var expected: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "plain text kept", strings: ["listed for testing"], expected: "listed for testing"),
        .init(name: "strings joined as published", strings: ["https://example.org/q?ip=", "192.0.2.1"], expected: "https://example.org/q?ip=192.0.2.1"),
        .init(name: "CR LF cannot inject a reply line", strings: ["bad\r\n250 OK"], expected: "bad 250 OK"),
        .init(name: "NUL, TAB, ESC, DEL and C1 become spaces", strings: ["a\u{0}b\tc\u{1B}d\u{7F}e\u{85}f"], expected: "a b c d e f"),
        .init(name: "runs of space collapse, ends trimmed", strings: ["  spaced    out  "], expected: "spaced out"),
        .init(name: "only control characters is nothing", strings: ["\r\n\t"], expected: nil),
        .init(name: "empty is nothing", strings: [], expected: nil),
        .init(name: "capped at the limit", strings: [String(repeating: "x", count: 500)], limit: 200, expected: String(repeating: "x", count: 200)),
        .init(name: "cap never ends on a space", strings: ["abcd efgh"], limit: 5, expected: "abcd"),
        .init(name: "non-ASCII kept", strings: ["liste noire é"], expected: "liste noire é"),
    ]

    @Test("cleans", arguments: cases)
    func cleans(_ testCase: Case) {
        let text = DNSBLReplyText.clean(testCase.strings, limit: testCase.limit)
        #expect(text == testCase.expected)
        #expect((text?.unicodeScalars.count ?? 0) <= testCase.limit)
    }
}
