import Testing
import DNSBL
import DNSBLResolver

@Suite("DNS answers (ns_initparse, ns_parserr)")
struct DNSAnswerTests {
    static let listed = "2.0.0.127.zen.example"

    /// A NOERROR reply with one A record 127.0.0.2, TTL 300, written out byte by byte as a
    /// server sends it (the answer's owner is a compression pointer to the question).
    static let aAnswerBytes: [UInt8] = [
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,   // header
        0x01, 0x32, 0x01, 0x30, 0x01, 0x30, 0x03, 0x31, 0x32, 0x37,               // 2 0 0 127
        0x03, 0x7a, 0x65, 0x6e, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, // zen example
        0x00, 0x01, 0x00, 0x01,                                                   // A IN
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,   // -> qname, A IN, TTL 300, 4 bytes
        0x7f, 0x00, 0x00, 0x02,                                                   // 127.0.0.2
    ]

    @Test("an A answer 127.0.0.2 with TTL 300")
    func aAnswer() throws {
        let answers = try DNSAnswer.parse(Self.aAnswerBytes)
        #expect(answers.id == 0x1234)
        #expect(answers.responseCode == .noError)
        #expect(answers.isResponse && !answers.isTruncated)
        #expect(answers.questionName == Self.listed)
        #expect(answers.questionType == 1)
        #expect(answers.addresses == [.init(name: Self.listed, address: [127, 0, 0, 2], ttl: 300)])
        #expect(answers.texts.isEmpty)
    }

    @Test("an A answer built with the packet helper matches the hand-written bytes")
    func helperMatchesHandWritten() {
        var packet = TestPacket(id: 0x1234, flags: TestPacket.replyNoError, answers: 1)
        packet.question(Self.listed, type: 1)
        packet.record(type: 1, ttl: 300, data: [127, 0, 0, 2])
        #expect(packet.bytes == Self.aAnswerBytes)
    }

    /// A case: a packet and what it must parse to.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var packet: [UInt8]
        var expected: DNSAnswerSet
        var testDescription: String { name }
    }

    static func nxdomain() -> [UInt8] {
        var packet = TestPacket(id: 0x0BAD, flags: TestPacket.replyNXDomain, authority: 1)
        packet.question("9.9.9.9.zen.example", type: 1)
        // SOA of zen.example in the authority section, as real servers send with NXDOMAIN.
        // The question name starts at 12: labels 9 9 9 9 take 8 bytes, so "zen.example" is at 20.
        packet.record(type: 6, ttl: 900, data: TestPacket.soaData(zoneOffset: 20), ownerOffset: 20)
        return packet.bytes
    }

    static func twoStringTXT() -> [UInt8] {
        var packet = TestPacket(id: 0x7777, flags: TestPacket.replyNoError, answers: 1)
        packet.question(listed, type: 16)
        packet.record(type: 16, ttl: 2100, data: TestPacket.txtData(["Listed by zen.example", "https://zen.example/query/127.0.0.2"]))
        return packet.bytes
    }

    static func truncated() -> [UInt8] {
        var packet = TestPacket(id: 0x5151, flags: TestPacket.replyTruncated)
        packet.question(listed, type: 16)
        return packet.bytes
    }

    static func cnameThenTwoAddresses() -> [UInt8] {
        var packet = TestPacket(id: 0x4242, flags: TestPacket.replyNoError, answers: 3)
        packet.question(listed, type: 1)
        // The CNAME's data (its target name) starts after the header (12), the question name (23),
        // its type and class (4), and the CNAME's owner pointer, type, class, TTL and length (12).
        let cnameTargetOffset: UInt16 = 12 + 23 + 4 + 12
        var target = TestPacket(id: 0, flags: 0)   // only to encode the CNAME target name
        target.name("2.0.0.127.lists.example")
        packet.record(type: 5, ttl: 60, data: Array(target.bytes.dropFirst(12)))
        packet.record(type: 1, ttl: 60, data: [127, 0, 0, 2], ownerOffset: cnameTargetOffset)
        packet.record(type: 1, ttl: 60, data: [127, 0, 0, 4], ownerOffset: cnameTargetOffset)
        return packet.bytes
    }

    static func serverFailure() -> [UInt8] {
        var packet = TestPacket(id: 0x0001, flags: TestPacket.replyServerFailure)
        packet.question(listed, type: 1)
        return packet.bytes
    }

    static let cases: [Case] = [
        Case(name: "NXDOMAIN with an SOA in the authority section: not listed", packet: nxdomain(),
             expected: DNSAnswerSet(id: 0x0BAD, responseCode: .nameError, isResponse: true, isTruncated: false,
                                    isRecursionDesired: true, questionName: "9.9.9.9.zen.example", questionType: 1,
                                    addresses: [], texts: [])),
        Case(name: "a TXT answer with two strings", packet: twoStringTXT(),
             expected: DNSAnswerSet(id: 0x7777, responseCode: .noError, isResponse: true, isTruncated: false,
                                    isRecursionDesired: true, questionName: listed, questionType: 16, addresses: [],
                                    texts: [.init(name: listed,
                                                  strings: ["Listed by zen.example", "https://zen.example/query/127.0.0.2"],
                                                  ttl: 2100)])),
        Case(name: "a truncated reply has the TC flag and no records", packet: truncated(),
             expected: DNSAnswerSet(id: 0x5151, responseCode: .noError, isResponse: true, isTruncated: true,
                                    isRecursionDesired: true, questionName: listed, questionType: 16,
                                    addresses: [], texts: [])),
        Case(name: "a CNAME is skipped, both A records of its target are kept", packet: cnameThenTwoAddresses(),
             expected: DNSAnswerSet(id: 0x4242, responseCode: .noError, isResponse: true, isTruncated: false,
                                    isRecursionDesired: true, questionName: listed, questionType: 1,
                                    addresses: [.init(name: "2.0.0.127.lists.example", address: [127, 0, 0, 2], ttl: 60),
                                                .init(name: "2.0.0.127.lists.example", address: [127, 0, 0, 4], ttl: 60)],
                                    texts: [])),
        Case(name: "SERVFAIL", packet: serverFailure(),
             expected: DNSAnswerSet(id: 0x0001, responseCode: .serverFailure, isResponse: true, isTruncated: false,
                                    isRecursionDesired: true, questionName: listed, questionType: 1,
                                    addresses: [], texts: [])),
    ]

    @Test("real replies parse to what they say", arguments: cases)
    func replies(_ testCase: Case) throws {
        let parsed = try DNSAnswer.parse(testCase.packet)
        #expect(parsed == testCase.expected)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var packet: [UInt8]
        var error: DNSMessageError
        var testDescription: String { name }
    }

    static func aRecord(withDataLength length: Int) -> [UInt8] {
        var packet = TestPacket(id: 1, flags: TestPacket.replyNoError, answers: 1)
        packet.question(listed, type: 1)
        packet.record(type: 1, ttl: 300, data: [UInt8](repeating: 127, count: length))
        return packet.bytes
    }

    static func txtStringOverrun() -> [UInt8] {
        var packet = TestPacket(id: 1, flags: TestPacket.replyNoError, answers: 1)
        packet.question(listed, type: 16)
        packet.record(type: 16, ttl: 300, data: [10] + Array("short".utf8))   // says 10, has 5
        return packet.bytes
    }

    static let badCases: [BadCase] = [
        BadCase(name: "empty packet", packet: [], error: .malformedPacket),
        BadCase(name: "two bytes of garbage", packet: [0xde, 0xad], error: .malformedPacket),
        BadCase(name: "a header that promises an answer that is not there",
                packet: Array(aAnswerBytes.prefix(12 + 23 + 4)), error: .malformedPacket),
        BadCase(name: "the A answer cut in the middle of its address",
                packet: Array(aAnswerBytes.dropLast(2)), error: .malformedPacket),
        BadCase(name: "bytes left over after the last record", packet: aAnswerBytes + [0x00], error: .malformedPacket),
        BadCase(name: "a name label running past the end",
                packet: [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61, 0x62], error: .malformedPacket),
        BadCase(name: "pseudo-random garbage", packet: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) },
                error: .malformedPacket),
        BadCase(name: "an A record of 5 bytes", packet: aRecord(withDataLength: 5),
                error: .malformedRecord(section: "answer", index: 0)),
        BadCase(name: "an A record of 0 bytes", packet: aRecord(withDataLength: 0),
                error: .malformedRecord(section: "answer", index: 0)),
        BadCase(name: "a TXT string longer than its record", packet: txtStringOverrun(),
                error: .malformedRecord(section: "answer", index: 0)),
    ]

    @Test("malformed packets are errors, never partial answers", arguments: badCases)
    func malformed(_ testCase: BadCase) {
        #expect(throws: testCase.error) {
            try DNSAnswer.parse(testCase.packet)
        }
    }
}
