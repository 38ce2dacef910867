import Testing
@testable import NetworkAddress

@Suite("CIDR")
struct CIDRTests {
    struct ParseCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var canonical: String
        var testDescription: String { name }
    }

    static let valid: [ParseCase] = [
        .init(name: "IPv4 /8", text: "10.0.0.0/8", canonical: "10.0.0.0/8"),
        .init(name: "IPv4 /0", text: "0.0.0.0/0", canonical: "0.0.0.0/0"),
        .init(name: "IPv4 /32", text: "192.0.2.1/32", canonical: "192.0.2.1/32"),
        .init(name: "IPv4 bare address is /32", text: "192.0.2.1", canonical: "192.0.2.1/32"),
        .init(name: "IPv4 /31", text: "192.0.2.2/31", canonical: "192.0.2.2/31"),
        .init(name: "IPv6 /128", text: "::1/128", canonical: "::1/128"),
        .init(name: "IPv6 bare address is /128", text: "2001:db8::25", canonical: "2001:db8::25/128"),
        .init(name: "IPv6 /0", text: "::/0", canonical: "::/0"),
        .init(name: "IPv6 /32", text: "2001:DB8::/32", canonical: "2001:db8::/32"),
        .init(name: "IPv6 /64", text: "2001:db8:1:2::/64", canonical: "2001:db8:1:2::/64"),
        .init(name: "IPv6 /65", text: "2001:db8:1:2:8000::/65", canonical: "2001:db8:1:2:8000::/65"),
        .init(name: "mapped /104 becomes IPv4 /8", text: "::ffff:10.0.0.0/104", canonical: "10.0.0.0/8"),
        .init(name: "mapped /128 becomes IPv4 /32", text: "::ffff:192.0.2.1/128", canonical: "192.0.2.1/32"),
        .init(name: "mapped /96 becomes IPv4 /0", text: "::ffff:0:0/96", canonical: "0.0.0.0/0"),
        .init(name: "mapped bare address becomes IPv4 /32", text: "::ffff:192.0.2.1", canonical: "192.0.2.1/32"),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ParseCase) throws {
        let network = try #require(CIDR(testCase.text))
        #expect(network.description == testCase.canonical)
        #expect(CIDR(network.description) == network)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let invalid: [InvalidCase] = [
        .init(name: "host bits set IPv4", text: "10.0.0.1/8",
              message: "bad network \"10.0.0.1/8\": host bits are set (the network is 10.0.0.0/8; a single host is 10.0.0.1/32)"),
        .init(name: "host bits set IPv6", text: "2001:db8::1/64",
              message: "bad network \"2001:db8::1/64\": host bits are set (the network is 2001:db8::/64; a single host is 2001:db8::1/128)"),
        .init(name: "host bits set mapped", text: "::ffff:10.0.0.1/104",
              message: "bad network \"::ffff:10.0.0.1/104\": host bits are set (the network is 10.0.0.0/8; a single host is 10.0.0.1/32)"),
        .init(name: "IPv4 prefix 33", text: "10.0.0.0/33", message: "bad network \"10.0.0.0/33\": an IPv4 prefix length is 0 to 32"),
        .init(name: "IPv6 prefix 129", text: "::/129", message: "bad network \"::/129\": an IPv6 prefix length is 0 to 128"),
        .init(name: "empty prefix", text: "10.0.0.0/", message: "bad network \"10.0.0.0/\": the prefix length after / must be a number"),
        .init(name: "negative prefix", text: "10.0.0.0/-1", message: "bad network \"10.0.0.0/-1\": the prefix length after / must be a number"),
        .init(name: "two slashes", text: "10.0.0.0/8/8", message: "bad network \"10.0.0.0/8/8\": the prefix length after / must be a number"),
        .init(name: "host name", text: "localhost/8", message: "bad network \"localhost/8\": not an IPv4 or IPv6 address"),
        .init(name: "short IPv4", text: "10/8", message: "bad network \"10/8\": not an IPv4 or IPv6 address"),
    ]

    @Test("refuses with a reason", arguments: invalid)
    func refuses(_ testCase: InvalidCase) {
        #expect(CIDR(testCase.text) == nil)
        #expect(throws: ConfigurationValueError(testCase.message)) { try CIDR(parsing: testCase.text) }
    }

    struct MatchCase: Sendable, CustomTestStringConvertible {
        var name: String
        var network: String
        var address: String
        var contains: Bool
        var testDescription: String { name }
    }

    static let matches: [MatchCase] = [
        .init(name: "/8 first address", network: "10.0.0.0/8", address: "10.0.0.0", contains: true),
        .init(name: "/8 last address", network: "10.0.0.0/8", address: "10.255.255.255", contains: true),
        .init(name: "/8 just below", network: "10.0.0.0/8", address: "9.255.255.255", contains: false),
        .init(name: "/8 just above", network: "10.0.0.0/8", address: "11.0.0.0", contains: false),
        .init(name: "/24 boundary inside", network: "192.0.2.0/24", address: "192.0.2.255", contains: true),
        .init(name: "/24 boundary outside", network: "192.0.2.0/24", address: "192.0.3.0", contains: false),
        .init(name: "/0 matches any IPv4", network: "0.0.0.0/0", address: "203.0.113.9", contains: true),
        .init(name: "/32 matches itself", network: "192.0.2.1/32", address: "192.0.2.1", contains: true),
        .init(name: "/32 not its neighbour", network: "192.0.2.1/32", address: "192.0.2.2", contains: false),
        .init(name: "/128 matches itself", network: "::1/128", address: "::1", contains: true),
        .init(name: "/128 not its neighbour", network: "::1/128", address: "::2", contains: false),
        .init(name: "IPv6 /0 matches any IPv6", network: "::/0", address: "2001:db8::1", contains: true),
        .init(name: "IPv6 /0 does not match IPv4", network: "::/0", address: "192.0.2.1", contains: false),
        .init(name: "IPv4 /0 does not match IPv6", network: "0.0.0.0/0", address: "::1", contains: false),
        .init(name: "IPv6 /32 inside", network: "2001:db8::/32", address: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", contains: true),
        .init(name: "IPv6 /32 outside", network: "2001:db8::/32", address: "2001:db9::", contains: false),
        .init(name: "IPv6 /65 inside", network: "2001:db8:1:2:8000::/65", address: "2001:db8:1:2:ffff::1", contains: true),
        .init(name: "IPv6 /65 outside", network: "2001:db8:1:2:8000::/65", address: "2001:db8:1:2:7fff::1", contains: false),
        .init(name: "IPv4 network matches mapped client", network: "10.0.0.0/8", address: "::ffff:10.1.2.3", contains: true),
        .init(name: "mapped network matches IPv4 client", network: "::ffff:10.0.0.0/104", address: "10.9.8.7", contains: true),
        .init(name: "mapped network refuses other IPv4", network: "::ffff:10.0.0.0/104", address: "11.0.0.1", contains: false),
        .init(name: "IPv4 loopback /32 refuses IPv6 loopback", network: "127.0.0.1/32", address: "::1", contains: false),
    ]

    @Test("contains", arguments: matches)
    func contains(_ testCase: MatchCase) throws {
        let network = try #require(CIDR(testCase.network))
        let address = try #require(IPAddress(testCase.address))
        #expect(network.contains(address) == testCase.contains)
    }

    @Test("init from network and prefix refuses host bits")
    func initFromParts() throws {
        #expect(CIDR(network: try #require(IPAddress("10.0.0.0")), prefixLength: 8) != nil)
        #expect(CIDR(network: try #require(IPAddress("10.0.0.1")), prefixLength: 8) == nil)
        #expect(CIDR(network: try #require(IPAddress("10.0.0.0")), prefixLength: 33) == nil)
    }
}
