import Testing
@testable import NetworkAddress

@Suite("IPAddress")
struct IPAddressTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var canonical: String
        var isIPv4: Bool
        var testDescription: String { name }
    }

    static let valid: [ValidCase] = [
        .init(name: "IPv4 dotted quad", text: "192.0.2.1", canonical: "192.0.2.1", isIPv4: true),
        .init(name: "IPv4 all zeros", text: "0.0.0.0", canonical: "0.0.0.0", isIPv4: true),
        .init(name: "IPv4 broadcast", text: "255.255.255.255", canonical: "255.255.255.255", isIPv4: true),
        .init(name: "IPv6 loopback", text: "::1", canonical: "::1", isIPv4: false),
        .init(name: "IPv6 unspecified", text: "::", canonical: "::", isIPv4: false),
        .init(name: "IPv6 full form compressed on output", text: "2001:0db8:0000:0000:0000:0000:0000:0001", canonical: "2001:db8::1", isIPv4: false),
        .init(name: "IPv6 upper case lowered", text: "2001:DB8::ABCD", canonical: "2001:db8::abcd", isIPv4: false),
        .init(name: "IPv6 trailing double colon", text: "fe80::", canonical: "fe80::", isIPv4: false),
        .init(name: "IPv6 single zero group not compressed", text: "2001:db8:0:1:1:1:1:1", canonical: "2001:db8:0:1:1:1:1:1", isIPv4: false),
        .init(name: "IPv6 longest zero run compressed", text: "2001:0:0:1:0:0:0:1", canonical: "2001:0:0:1::1", isIPv4: false),
        .init(name: "IPv6 first of equal zero runs compressed", text: "2001:db8:0:0:1:0:0:1", canonical: "2001:db8::1:0:0:1", isIPv4: false),
        .init(name: "IPv6 no zeros", text: "1:2:3:4:5:6:7:8", canonical: "1:2:3:4:5:6:7:8", isIPv4: false),
        .init(name: "IPv6 with embedded IPv4 not mapped", text: "64:ff9b::192.0.2.33", canonical: "64:ff9b::c000:221", isIPv4: false),
        .init(name: "IPv6 full form with embedded IPv4", text: "1:2:3:4:5:6:1.2.3.4", canonical: "1:2:3:4:5:6:102:304", isIPv4: false),
        .init(name: "IPv4-mapped dotted becomes IPv4", text: "::ffff:192.0.2.1", canonical: "192.0.2.1", isIPv4: true),
        .init(name: "IPv4-mapped hex becomes IPv4", text: "::FFFF:c000:0201", canonical: "192.0.2.1", isIPv4: true),
        .init(name: "IPv4-mapped full form becomes IPv4", text: "0:0:0:0:0:ffff:10.0.0.1", canonical: "10.0.0.1", isIPv4: true),
        .init(name: "IPv4-compatible stays IPv6", text: "::10.0.0.1", canonical: "::a00:1", isIPv4: false),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ValidCase) throws {
        let address = try #require(IPAddress(testCase.text))
        #expect(address.description == testCase.canonical)
        #expect(address.isIPv4 == testCase.isIPv4)
        #expect(address.bytes.count == (testCase.isIPv4 ? 4 : 16))
        #expect(IPAddress(address.description) == address, "canonical text parses back to the same address")
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    static let invalid: [InvalidCase] = [
        .init(name: "empty", text: ""),
        .init(name: "IPv4 three parts", text: "10.0.1"),
        .init(name: "IPv4 five parts", text: "1.2.3.4.5"),
        .init(name: "IPv4 octet over 255", text: "256.0.0.1"),
        .init(name: "IPv4 leading zero (octal in inet_aton)", text: "010.0.0.1"),
        .init(name: "IPv4 empty part", text: "1..2.3"),
        .init(name: "IPv4 sign", text: "+1.2.3.4"),
        .init(name: "IPv4 trailing dot", text: "1.2.3.4."),
        .init(name: "IPv4 white space", text: " 1.2.3.4"),
        .init(name: "host name", text: "localhost"),
        .init(name: "IPv6 two double colons", text: "1::2::3"),
        .init(name: "IPv6 triple colon", text: "1:::2"),
        .init(name: "IPv6 group of five digits", text: "12345::1"),
        .init(name: "IPv6 nine groups", text: "1:2:3:4:5:6:7:8:9"),
        .init(name: "IPv6 seven groups without double colon", text: "1:2:3:4:5:6:7"),
        .init(name: "IPv6 double colon with eight groups", text: "1:2:3:4::5:6:7:8"),
        .init(name: "IPv6 leading single colon", text: ":1:2:3:4:5:6:7"),
        .init(name: "IPv6 trailing single colon", text: "1:2:3:4:5:6:7:"),
        .init(name: "IPv6 non-hex digit", text: "2001:db8::g"),
        .init(name: "IPv6 zone identifier", text: "fe80::1%eth0"),
        .init(name: "IPv6 embedded IPv4 not last", text: "::1.2.3.4:1"),
        .init(name: "IPv6 embedded IPv4 bad", text: "::ffff:1.2.3.256"),
        .init(name: "IPv6 in brackets", text: "[::1]"),
        .init(name: "IPv6 too many groups with IPv4", text: "1:2:3:4:5:6:7:1.2.3.4"),
    ]

    @Test("refuses", arguments: invalid)
    func refuses(_ testCase: InvalidCase) {
        #expect(IPAddress(testCase.text) == nil)
    }

    @Test("bytes in network order")
    func bytesInNetworkOrder() throws {
        #expect(try #require(IPAddress("192.0.2.1")).bytes == [192, 0, 2, 1])
        #expect(try #require(IPAddress("2001:db8::1")).bytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
    }

    @Test("init from IPv4 bytes")
    func initFromIPv4Bytes() {
        let address = IPAddress(ipv4: (203, 0, 113, 5))
        #expect(address.description == "203.0.113.5")
        #expect(address == IPAddress("203.0.113.5"))
    }

    @Test("init from IPv6 bytes; mapped becomes IPv4")
    func initFromIPv6Bytes() {
        let mapped = IPAddress(ipv6Bytes: Array(repeating: 0, count: 10) + [0xff, 0xff, 198, 51, 100, 7])
        #expect(mapped.isIPv4)
        #expect(mapped == IPAddress("198.51.100.7"))
        let loopback = IPAddress(ipv6Bytes: Array(repeating: 0, count: 15) + [1])
        #expect(!loopback.isIPv4)
        #expect(loopback.description == "::1")
    }

    @Test("mapped and plain IPv4 are equal and hash alike")
    func mappedEqualsPlain() throws {
        let set: Set<IPAddress> = [try #require(IPAddress("::ffff:10.1.2.3")), try #require(IPAddress("10.1.2.3"))]
        #expect(set.count == 1)
    }

    @Test("unspecified addresses")
    func unspecified() throws {
        #expect(try #require(IPAddress("0.0.0.0")).isUnspecified)
        #expect(try #require(IPAddress("::")).isUnspecified)
        #expect(try !#require(IPAddress("::1")).isUnspecified)
    }
}
