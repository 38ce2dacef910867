import Testing
import DNSBL

@Suite("DNSBL query names")
struct DNSBLQueryNameTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var client: [UInt8]
        var zone: String
        var queryName: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "IPv4 127.0.0.2, the DNSBL test address", client: [127, 0, 0, 2], zone: "zen.example",
             queryName: "2.0.0.127.zen.example."),
        Case(name: "zone given with a trailing dot", client: [127, 0, 0, 2], zone: "zen.example.",
             queryName: "2.0.0.127.zen.example."),
        Case(name: "IPv4 203.0.113.5, octets reversed", client: [203, 0, 113, 5], zone: "bl.example",
             queryName: "5.113.0.203.bl.example."),
        Case(name: "IPv4 0.0.0.0", client: [0, 0, 0, 0], zone: "bl.example", queryName: "0.0.0.0.bl.example."),
        Case(name: "IPv4 255.255.255.255", client: [255, 255, 255, 255], zone: "bl.example",
             queryName: "255.255.255.255.bl.example."),
        Case(name: "IPv6 2001:db8::1, RFC 5782 example", client: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1],
             zone: "bl.example", queryName: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example."),
        Case(name: "IPv6 2001:db8:abcd:12::fe, lower-case nibbles, low nibble first",
             client: [0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0x00, 0x12, 0, 0, 0, 0, 0, 0, 0, 0xfe], zone: "bl.example",
             queryName: "e.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.1.0.0.d.c.b.a.8.b.d.0.1.0.0.2.bl.example."),
        Case(name: "IPv6 loopback ::1 stays IPv6", client: [UInt8](repeating: 0, count: 15) + [1], zone: "bl.example",
             queryName: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example."),
        Case(name: "IPv4-mapped ::ffff:192.0.2.99 is queried as IPv4",
             client: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 99], zone: "zen.example",
             queryName: "99.2.0.192.zen.example."),
        Case(name: "IPv4-compatible ::192.0.2.1 is not mapped and stays IPv6",
             client: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1], zone: "bl.example",
             queryName: "1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example."),
        Case(name: "fe80::ffff:1 ends like a mapped address but is not one",
             client: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 1], zone: "bl.example",
             queryName: "1.0.0.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.bl.example."),
    ]

    @Test("builds the reversed query name", arguments: cases)
    func queryName(_ testCase: Case) {
        #expect(DNSBLQueryName.name(forClientBytes: testCase.client, zone: testCase.zone) == testCase.queryName)
    }
}
