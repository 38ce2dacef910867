import Testing
import SMTPProtocol

struct PreambleCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: ClientPreamble
    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ expected: ClientPreamble) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
    }

    init(_ name: String, _ text: String, _ expected: ClientPreamble) {
        self.init(name, Array(text.utf8), expected)
    }
}

private let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

private let preambleCases: [PreambleCase] = [
    PreambleCase("nothing yet", [], .needMoreBytes),
    PreambleCase("EHLO", "EHLO client.example\r\n", .smtp),
    PreambleCase("lower-case helo", "helo x\r\n", .smtp),
    PreambleCase("PROXY v1 header", "PROXY TCP4 192.0.2.1 192.0.2.2 1234 25\r\nEHLO x\r\n", .proxyV1),
    PreambleCase("PROXY v1 exactly the signature", "PROXY ", .proxyV1),
    PreambleCase("PROXY v1 prefix P", "P", .needMoreBytes),
    PreambleCase("PROXY v1 prefix PROXY", "PROXY", .needMoreBytes),
    PreambleCase("POST is not PROXY", "POST / HTTP/1.1\r\n", .smtp),
    PreambleCase("PROXYX is not PROXY", "PROXYX\r\n", .smtp),
    PreambleCase("PROXY v2 signature", v2Signature + [0x21, 0x11, 0x00, 0x0C], .proxyV2),
    PreambleCase("PROXY v2 signature alone", v2Signature, .proxyV2),
    PreambleCase("PROXY v2 prefix CRLF", [0x0D, 0x0A], .needMoreBytes),
    PreambleCase("PROXY v2 prefix of eleven bytes", Array(v2Signature.prefix(11)), .needMoreBytes),
    PreambleCase("empty line then EHLO is SMTP", "\r\nEHLO x\r\n", .smtp),
    PreambleCase("v2 signature with a wrong last byte", Array(v2Signature.prefix(11)) + [0x0D], .smtp),
    PreambleCase("TLS ClientHello", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01], .tlsHandshake),
    PreambleCase("TLS record type alone", [0x16], .needMoreBytes),
    PreambleCase("0x16 without TLS version", [0x16, 0x41], .smtp),
]

@Suite("ClientPreamble")
struct ClientPreambleTests {
    @Test("classify", arguments: preambleCases)
    func classify(_ testCase: PreambleCase) {
        #expect(ClientPreamble.classify(testCase.bytes) == testCase.expected)
    }

    @Test("classify works on a slice")
    func classifySlice() {
        let buffer: [UInt8] = Array("xxPROXY TCP4".utf8)
        #expect(ClientPreamble.classify(buffer[2...]) == .proxyV1)
    }

    @Test("the v2 signature constant is the one the PROXY protocol defines")
    func signatureConstant() {
        #expect(ClientPreamble.proxyV2Signature == v2Signature)
        #expect(ClientPreamble.maximumPrefixLength == 12)
    }
}
