import Testing
@testable import NetworkAddress

@Suite("SocketAddressSpec")
struct SocketAddressSpecTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var defaultPort: UInt16?
        var canonical: String
        var testDescription: String { name }
    }

    static let valid: [ValidCase] = [
        .init(name: "IPv4 with port", text: "127.0.0.1:2525", defaultPort: nil, canonical: "127.0.0.1:2525"),
        .init(name: "IPv4 any address", text: "0.0.0.0:25", defaultPort: nil, canonical: "0.0.0.0:25"),
        .init(name: "IPv6 any address in brackets", text: "[::]:25", defaultPort: nil, canonical: "[::]:25"),
        .init(name: "IPv6 in brackets, canonicalised", text: "[2001:DB8:0::1]:10025", defaultPort: nil, canonical: "[2001:db8::1]:10025"),
        .init(name: "port 1", text: "127.0.0.1:1", defaultPort: nil, canonical: "127.0.0.1:1"),
        .init(name: "port 65535", text: "127.0.0.1:65535", defaultPort: nil, canonical: "127.0.0.1:65535"),
        .init(name: "mapped in brackets becomes IPv4", text: "[::ffff:127.0.0.1]:25", defaultPort: nil, canonical: "127.0.0.1:25"),
        .init(name: "DNS server IPv4 default port", text: "192.0.2.53", defaultPort: 53, canonical: "192.0.2.53:53"),
        .init(name: "DNS server IPv4 own port", text: "127.0.0.1:5353", defaultPort: 53, canonical: "127.0.0.1:5353"),
        .init(name: "DNS server IPv6 bracket default port", text: "[::1]", defaultPort: 53, canonical: "[::1]:53"),
        .init(name: "DNS server IPv6 bracket own port", text: "[::1]:5353", defaultPort: 53, canonical: "[::1]:5353"),
        .init(name: "DNS server bare IPv6", text: "2001:db8::53", defaultPort: 53, canonical: "[2001:db8::53]:53"),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ValidCase) throws {
        let spec = try #require(SocketAddressSpec(testCase.text, defaultPort: testCase.defaultPort))
        #expect(spec.description == testCase.canonical)
        #expect(SocketAddressSpec(spec.description) == spec)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var defaultPort: UInt16?
        var message: String
        var testDescription: String { name }
    }

    static let invalid: [InvalidCase] = [
        .init(name: "missing port", text: "127.0.0.1", defaultPort: nil, message: "bad address \"127.0.0.1\": missing :port"),
        .init(name: "port 0", text: "127.0.0.1:0", defaultPort: nil, message: "bad address \"127.0.0.1:0\": the port must be a number from 1 to 65535"),
        .init(name: "port 65536", text: "127.0.0.1:65536", defaultPort: nil, message: "bad address \"127.0.0.1:65536\": the port must be a number from 1 to 65535"),
        .init(name: "port not a number", text: "127.0.0.1:smtp", defaultPort: nil, message: "bad address \"127.0.0.1:smtp\": the port must be a number from 1 to 65535"),
        .init(name: "empty port", text: "127.0.0.1:", defaultPort: nil, message: "bad address \"127.0.0.1:\": the port must be a number from 1 to 65535"),
        .init(name: "IPv6 without brackets", text: "::1:25", defaultPort: nil, message: "bad address \"::1:25\": write an IPv6 address in brackets, as [::1]:25"),
        .init(name: "host name", text: "localhost:25", defaultPort: nil, message: "bad address \"localhost:25\": \"localhost\" is not an IP address (host names are not accepted)"),
        .init(name: "IPv4 in brackets", text: "[127.0.0.1]:25", defaultPort: nil, message: "bad address \"[127.0.0.1]:25\": brackets hold an IPv6 address"),
        .init(name: "missing close bracket", text: "[::1:25", defaultPort: nil, message: "bad address \"[::1:25\": missing ]"),
        .init(name: "junk after bracket", text: "[::1]25", defaultPort: nil, message: "bad address \"[::1]25\": expected :port after ]"),
        .init(name: "bracket without port", text: "[::1]", defaultPort: nil, message: "bad address \"[::1]\": missing :port"),
    ]

    @Test("refuses with a reason", arguments: invalid)
    func refuses(_ testCase: InvalidCase) {
        #expect(SocketAddressSpec(testCase.text, defaultPort: testCase.defaultPort) == nil)
        #expect(throws: ConfigurationValueError(testCase.message)) {
            try SocketAddressSpec(parsing: testCase.text, defaultPort: testCase.defaultPort)
        }
    }
}
