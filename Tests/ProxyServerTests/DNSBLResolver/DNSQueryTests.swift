import Testing
import DNSBL
import DNSBLResolver

@Suite("DNS query packets (res_nmkquery)")
struct DNSQueryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var queryName: String
        var type: DNSQuery.RecordType
        var id: UInt16
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "A query for an IPv4 listing", queryName: "2.0.0.127.zen.example.", type: .a, id: 0x1234),
        Case(name: "TXT query for the listing text", queryName: "2.0.0.127.zen.example.", type: .txt, id: 0xBEEF),
        Case(name: "A query for an IPv6 listing (64-label name)",
             queryName: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example.", type: .a, id: 0),
        Case(name: "ID 0xFFFF survives", queryName: "5.113.0.203.bl.example.", type: .a, id: 0xFFFF),
        Case(name: "name without the trailing dot", queryName: "5.113.0.203.bl.example", type: .txt, id: 7),
    ]

    @Test("a query reads back with its name, type and ID", arguments: cases)
    func roundTrip(_ testCase: Case) throws {
        let packet = try DNSQuery.make(name: testCase.queryName, type: testCase.type, id: testCase.id)
        let parsed = try DNSAnswer.parse(packet)
        #expect(parsed.id == testCase.id)
        #expect(parsed.questionName == (testCase.queryName.hasSuffix(".") ? String(testCase.queryName.dropLast()) : testCase.queryName))
        #expect(parsed.questionType == testCase.type.rawValue)
        #expect(parsed.isResponse == false)
        #expect(parsed.isRecursionDesired == true)
        #expect(parsed.isTruncated == false)
        #expect(parsed.responseCode == .noError)
        #expect(parsed.addresses.isEmpty && parsed.texts.isEmpty)
    }

    @Test("the query packet is exactly the expected bytes")
    func goldenBytes() throws {
        let packet = try DNSQuery.make(name: "2.0.0.127.zen.example.", type: .a, id: 0x1234)
        var expected = TestPacket(id: 0x1234, flags: 0x0100)   // RD only; no EDNS record
        expected.question("2.0.0.127.zen.example", type: 1)
        #expect(packet == expected.bytes)
    }

    struct InvalidCase: CustomTestStringConvertible, Sendable {
        var name: String
        var queryName: String
        var testDescription: String { name }
    }

    @Test("names DNS cannot carry are refused", arguments: [
        InvalidCase(name: "a label of 64 octets", queryName: String(repeating: "a", count: 64) + ".example."),
        InvalidCase(name: "a name over 255 octets", queryName: Array(repeating: String(repeating: "b", count: 60), count: 5).joined(separator: ".") + "."),
        InvalidCase(name: "an empty label", queryName: "2..zen.example."),
        InvalidCase(name: "a NUL byte", queryName: "2.0.0.127\u{0}.zen.example."),
    ])
    func invalidNames(_ testCase: InvalidCase) {
        #expect(throws: DNSMessageError.invalidName(testCase.queryName)) {
            try DNSQuery.make(name: testCase.queryName, type: .a, id: 1)
        }
    }
}
