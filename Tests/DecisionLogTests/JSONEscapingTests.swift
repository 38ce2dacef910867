import Testing
import DecisionLog

/// Any bytes a client can send must come out as valid JSON and valid UTF-8.
@Suite("JSON escaping")
struct JSONEscapingTests {
    static let baseTimestamp = Timestamp(millisecondsSinceEpoch: 1_796_025_600_123)

    /// The raw bytes of the `helo` value in a line, between its quotes (found by structure:
    /// the line is `{"ts":"…","event":"helo","helo":"VALUE"}\n`).
    static func heloField(of line: [UInt8]) -> [UInt8] {
        let prefix = Array(#"{"ts":"2026-11-30T08:00:00.123Z","event":"helo","helo":""#.utf8)
        let suffix = Array("\"}\n".utf8)
        guard line.count >= prefix.count + suffix.count,
              Array(line.prefix(prefix.count)) == prefix,
              Array(line.suffix(suffix.count)) == suffix else {
            return []
        }
        return Array(line[prefix.count..<(line.count - suffix.count)])
    }

    static func line(helo bytes: [UInt8]) -> [UInt8] {
        DecisionRecord(timestamp: baseTimestamp, event: .helo, helo: LogText(bytes: bytes)).jsonLine
    }

    // MARK: - Every single byte

    struct ByteCase: CustomTestStringConvertible, Sendable {
        var byte: UInt8
        var testDescription: String { "byte 0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
    }

    static let allBytes = (0...255).map { ByteCase(byte: UInt8($0)) }

    @Test("a single byte round-trips through the JSON line", arguments: allBytes)
    func singleByte(_ testCase: ByteCase) throws {
        let line = Self.line(helo: [testCase.byte])
        #expect(String(validating: line, as: UTF8.self) != nil, "line must be valid UTF-8")
        // Only the final newline may be a raw control character or DEL.
        #expect(!line.dropLast().contains { $0 < 0x20 || $0 == 0x7F })
        let fields = try TestJSONReader.parseLine(line)
        let expected = testCase.byte < 0x80 ? String(Character(Unicode.Scalar(testCase.byte))) : "\u{FFFD}"
        #expect(fields.map(\.key) == ["ts", "event", "helo"])
        #expect(fields.last?.value == .string(expected))
    }

    // MARK: - Exact escapes

    struct EscapeCase: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var escaped: String
        var testDescription: String { name }
    }

    static let escapeCases: [EscapeCase] = [
        EscapeCase(name: "plain ASCII is unchanged", input: Array("mail.example.net".utf8), escaped: "mail.example.net"),
        EscapeCase(name: "empty text", input: [], escaped: ""),
        EscapeCase(name: "double quote", input: [0x22], escaped: #"\""#),
        EscapeCase(name: "backslash", input: [0x5C], escaped: #"\\"#),
        EscapeCase(name: "slash is not escaped", input: [0x2F], escaped: "/"),
        EscapeCase(name: "NUL", input: [0x00], escaped: #"\u0000"#),
        EscapeCase(name: "backspace", input: [0x08], escaped: #"\b"#),
        EscapeCase(name: "tab", input: [0x09], escaped: #"\t"#),
        EscapeCase(name: "line feed", input: [0x0A], escaped: #"\n"#),
        EscapeCase(name: "vertical tab", input: [0x0B], escaped: #"\u000b"#),
        EscapeCase(name: "form feed", input: [0x0C], escaped: #"\f"#),
        EscapeCase(name: "carriage return", input: [0x0D], escaped: #"\r"#),
        EscapeCase(name: "escape character", input: [0x1B], escaped: #"\u001b"#),
        EscapeCase(name: "unit separator 0x1F", input: [0x1F], escaped: #"\u001f"#),
        EscapeCase(name: "DEL", input: [0x7F], escaped: #"\u007f"#),
        EscapeCase(name: "CRLF injection attempt", input: Array("a\r\n{\"x\":1}".utf8), escaped: #"a\r\n{\"x\":1}"#),
        EscapeCase(name: "two-byte UTF-8 passes through", input: [0xC3, 0xA9], escaped: "é"),
        EscapeCase(name: "three-byte UTF-8 passes through", input: [0xE2, 0x82, 0xAC], escaped: "€"),
        EscapeCase(name: "four-byte UTF-8 passes through", input: [0xF0, 0x9F, 0x98, 0x80], escaped: "😀"),
        EscapeCase(name: "U+2028 LINE SEPARATOR is escaped", input: [0xE2, 0x80, 0xA8], escaped: #"\u2028"#),
        EscapeCase(name: "U+2029 PARAGRAPH SEPARATOR is escaped", input: [0xE2, 0x80, 0xA9], escaped: #"\u2029"#),
        EscapeCase(name: "U+2027 next to them is not", input: [0xE2, 0x80, 0xA7], escaped: "\u{2027}"),
        EscapeCase(name: "lone continuation byte", input: [0x80], escaped: "\u{FFFD}"),
        EscapeCase(name: "truncated two-byte sequence at the end", input: [0x61, 0xC3], escaped: "a\u{FFFD}"),
        EscapeCase(name: "truncated two-byte sequence before ASCII", input: [0xC3, 0x41], escaped: "\u{FFFD}A"),
        EscapeCase(name: "overlong NUL C0 80 is two replacements", input: [0xC0, 0x80], escaped: "\u{FFFD}\u{FFFD}"),
        EscapeCase(name: "overlong slash E0 80 AF is three replacements", input: [0xE0, 0x80, 0xAF], escaped: "\u{FFFD}\u{FFFD}\u{FFFD}"),
        EscapeCase(name: "UTF-16 surrogate ED A0 80 is three replacements", input: [0xED, 0xA0, 0x80], escaped: "\u{FFFD}\u{FFFD}\u{FFFD}"),
        EscapeCase(name: "above U+10FFFF F4 90 80 80 is four replacements", input: [0xF4, 0x90, 0x80, 0x80], escaped: "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        EscapeCase(name: "truncated four-byte sequence is one replacement", input: [0xF0, 0x9F, 0x98], escaped: "\u{FFFD}"),
        EscapeCase(name: "truncated four-byte sequence then ASCII", input: [0xF0, 0x9F, 0x98, 0x41], escaped: "\u{FFFD}A"),
        EscapeCase(name: "truncated three-byte sequence then valid two-byte", input: [0xE1, 0x80, 0xC3, 0xA9], escaped: "\u{FFFD}é"),
        EscapeCase(name: "F5 and FF are never valid", input: [0xF5, 0xFF, 0xFE], escaped: "\u{FFFD}\u{FFFD}\u{FFFD}"),
        EscapeCase(name: "invalid byte between quotes and controls", input: [0x22, 0xFF, 0x0A, 0x5C], escaped: "\\\"\u{FFFD}\\n\\\\"),
    ]

    @Test("escapes exactly as specified", arguments: escapeCases)
    func exactEscape(_ testCase: EscapeCase) throws {
        let line = Self.line(helo: testCase.input)
        #expect(Self.heloField(of: line) == Array(testCase.escaped.utf8))
        #expect(String(validating: line, as: UTF8.self) != nil)
        // Reading it back gives what the standard library decodes from the same bytes.
        let unescaped = try TestJSONReader.unescape(Self.heloField(of: line))
        #expect(unescaped == String(decoding: testCase.input, as: UTF8.self))
    }

    // MARK: - Arbitrary byte strings

    struct RandomCase: CustomTestStringConvertible, Sendable {
        var seed: UInt64
        var testDescription: String { "pseudo-random bytes, seed \(seed)" }
    }

    /// A fixed linear congruential generator, so every run tests the same inputs.
    static func pseudoRandomBytes(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let high = UInt8(truncatingIfNeeded: state >> 56)
            // Bias towards the interesting ranges: controls, ASCII, UTF-8 leads and continuations.
            switch state >> 53 & 0x3 {
            case 0: bytes.append(high & 0x1F)
            case 1: bytes.append(0x80 | (high & 0x3F))
            case 2: bytes.append(0xC0 | (high & 0x3F))
            default: bytes.append(high)
            }
        }
        return bytes
    }

    @Test("arbitrary bytes read back as the standard library decodes them",
          arguments: (1...300).map { RandomCase(seed: UInt64($0)) })
    func arbitraryBytes(_ testCase: RandomCase) throws {
        let input = Self.pseudoRandomBytes(seed: testCase.seed, count: Int(testCase.seed % 64) + 1)
        let record = DecisionRecord(timestamp: Self.baseTimestamp, event: .helo, helo: LogText(bytes: input))
        let fields = try TestJSONReader.parseLine(record.jsonLine)
        #expect(fields.last?.value == .string(String(decoding: input, as: UTF8.self)))
    }

    @Test("every text field is escaped, not only helo")
    func allTextFieldsEscaped() throws {
        let hostile = LogText(bytes: [0x22, 0x0A, 0xFF, 0x5C])
        let record = DecisionRecord(timestamp: Self.baseTimestamp, session: "s\"1", event: .rcpt,
                                    client: "c\n", enhanced: "5.7.1\u{7F}", helo: hostile, from: hostile,
                                    rcpt: hostile, dnsblHits: ["a\"b", "\u{2028}"], detail: hostile)
        let line = record.jsonLine
        #expect(!line.dropLast().contains { $0 < 0x20 || $0 == 0x7F })
        let fields = try TestJSONReader.parseLine(line)
        let decoded = String(decoding: hostile.bytes, as: UTF8.self)
        #expect(fields.first { $0.key == "session" }?.value == .string("s\"1"))
        #expect(fields.first { $0.key == "client" }?.value == .string("c\n"))
        #expect(fields.first { $0.key == "enhanced" }?.value == .string("5.7.1\u{7F}"))
        for key in ["helo", "from", "rcpt", "detail"] {
            #expect(fields.first { $0.key == key }?.value == .string(decoded), "field \(key)")
        }
        #expect(fields.first { $0.key == "dnsbl_hits" }?.value == .array([.string("a\"b"), .string("\u{2028}")]))
    }
}
