import Testing
import RelayAudit

@Suite("Audit command line")
struct AuditOptionsTests {
    struct GoodCase: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let options: AuditOptions
        let target: String
        var testDescription: String { name }
    }

    static let goodCases: [GoodCase] = [
        GoodCase(name: "host alone: port 25, defaults", arguments: ["mx.example.org"],
                 options: AuditOptions(host: "mx.example.org"), target: "mx.example.org:25"),
        GoodCase(name: "IPv4 with port", arguments: ["192.0.2.25:2525"],
                 options: AuditOptions(host: "192.0.2.25", port: 2525), target: "192.0.2.25:2525"),
        GoodCase(name: "bracketed IPv6 with port", arguments: ["[2001:db8::25]:587"],
                 options: AuditOptions(host: "2001:db8::25", port: 587), target: "[2001:db8::25]:587"),
        GoodCase(name: "bracketed IPv6 without port", arguments: ["[::1]"],
                 options: AuditOptions(host: "::1"), target: "[::1]:25"),
        GoodCase(name: "bare IPv6", arguments: ["2001:db8::25"],
                 options: AuditOptions(host: "2001:db8::25"), target: "[2001:db8::25]:25"),
        GoodCase(name: "every option, separate values", arguments: ["--json", "--local-domain", "example.org", "mx:25",
                                                                    "--external-domain", "elsewhere.test", "--timeout", "90s"],
                 options: AuditOptions(host: "mx", localDomain: "example.org", externalDomain: "elsewhere.test",
                                       json: true, timeoutMilliseconds: 90_000), target: "mx:25"),
        GoodCase(name: "options with =", arguments: ["mx", "--local-domain=example.org.", "--timeout=500ms"],
                 options: AuditOptions(host: "mx", localDomain: "example.org", timeoutMilliseconds: 500), target: "mx:25"),
        GoodCase(name: "an address literal as local domain", arguments: ["mx", "--local-domain", "[192.0.2.25]"],
                 options: AuditOptions(host: "mx", localDomain: "[192.0.2.25]"), target: "mx:25"),
        GoodCase(name: "a bare timeout is seconds, minutes allowed", arguments: ["mx", "--timeout", "2m"],
                 options: AuditOptions(host: "mx", timeoutMilliseconds: 120_000), target: "mx:25"),
    ]

    @Test("valid command lines", arguments: goodCases)
    func good(_ testCase: GoodCase) throws {
        let options = try AuditOptions.parse(testCase.arguments)
        #expect(options == testCase.options)
        #expect(options.target == testCase.target)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "no host", arguments: ["--json"], message: "audit: which server? give HOST[:PORT]"),
        BadCase(name: "two hosts", arguments: ["a", "b"], message: "audit: more than one HOST given ('b')"),
        BadCase(name: "unknown option", arguments: ["mx", "--relay"], message: "audit: unknown option '--relay'"),
        BadCase(name: "missing value", arguments: ["mx", "--local-domain"], message: "audit: --local-domain needs a value"),
        BadCase(name: "port zero", arguments: ["mx:0"], message: "audit: bad HOST[:PORT] 'mx:0'"),
        BadCase(name: "port too big", arguments: ["mx:65536"], message: "audit: bad HOST[:PORT] 'mx:65536'"),
        BadCase(name: "port not a number", arguments: ["mx:smtp"], message: "audit: bad HOST[:PORT] 'mx:smtp'"),
        BadCase(name: "empty host", arguments: [":25"], message: "audit: bad HOST[:PORT] ':25'"),
        BadCase(name: "unclosed bracket", arguments: ["[::1:25"], message: "audit: bad HOST[:PORT] '[::1:25'"),
        BadCase(name: "a domain with @", arguments: ["mx", "--external-domain", "a@b"], message: "audit: bad domain for --external-domain: 'a@b'"),
        BadCase(name: "a domain with a space", arguments: ["mx", "--local-domain", "a b"], message: "audit: bad domain for --local-domain: 'a b'"),
        BadCase(name: "zero timeout", arguments: ["mx", "--timeout", "0"], message: "audit: bad --timeout '0' (a duration such as 500ms, 60s, 2m)"),
        BadCase(name: "fractional timeout", arguments: ["mx", "--timeout", "1.5s"], message: "audit: bad --timeout '1.5s' (a duration such as 500ms, 60s, 2m)"),
        BadCase(name: "json with a value", arguments: ["mx", "--json=yes"], message: "audit: --json takes no value"),
        BadCase(name: "option given twice", arguments: ["mx", "--local-domain", "a", "--local-domain", "b"], message: "audit: --local-domain given twice"),
    ]

    @Test("usage errors", arguments: badCases)
    func bad(_ testCase: BadCase) {
        #expect(throws: AuditOptions.UsageError(message: testCase.message)) {
            try AuditOptions.parse(testCase.arguments)
        }
    }
}
