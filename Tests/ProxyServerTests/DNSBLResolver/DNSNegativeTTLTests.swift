import Testing
@testable import DNSBL
import DNSBL
import DNSBLResolver

@Suite("DNSNegativeTTL")
struct DNSNegativeTTLTests {
    /// An NXDOMAIN for 2.0.0.127.zen.example with the zone's SOA (MINIMUM 900) at record TTL `soaTTL`.
    static func nxdomain(soaTTL: UInt32, minimum: UInt32) -> [UInt8] {
        var packet = TestPacket(id: 7, flags: TestPacket.replyNXDomain, authority: 1)
        packet.question("2.0.0.127.zen.example", type: 1)
        // offset 12 + "1 2 1 0 1 0 3 127" = 12 + 2+2+2+4 = 22 -> "zen.example" starts at 22
        var soa = TestPacket.soaData(zoneOffset: 22)
        let count = soa.count
        soa[count - 4] = UInt8(minimum >> 24)
        soa[count - 3] = UInt8(minimum >> 16 & 0xFF)
        soa[count - 2] = UInt8(minimum >> 8 & 0xFF)
        soa[count - 1] = UInt8(minimum & 0xFF)
        packet.record(type: 6, ttl: soaTTL, data: soa, ownerOffset: 22)
        return packet.bytes
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var packet: [UInt8]
        var expected: UInt32?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "MINIMUM smaller than the SOA TTL wins", packet: nxdomain(soaTTL: 3600, minimum: 900), expected: 900),
        .init(name: "SOA TTL smaller than MINIMUM wins", packet: nxdomain(soaTTL: 120, minimum: 900), expected: 120),
        .init(name: "no authority section: none", packet: {
            var packet = TestPacket(id: 7, flags: TestPacket.replyNXDomain)
            packet.question("2.0.0.127.zen.example", type: 1)
            return packet.bytes
        }(), expected: nil),
        .init(name: "garbage: none", packet: [1, 2, 3], expected: nil),
    ]

    @Test("reads the negative TTL", arguments: cases)
    func reads(_ testCase: Case) {
        #expect(DNSNegativeTTL.seconds(in: testCase.packet) == testCase.expected)
    }
}
