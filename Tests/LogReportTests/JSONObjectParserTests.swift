import Testing
import LogReport

@Suite("JSON object parser")
struct JSONObjectParserTests {
    struct GoodCase: CustomTestStringConvertible, Sendable {
        let name: String
        let line: String
        let fields: [JSONField]
        var testDescription: String { name }
    }

    static let goodCases: [GoodCase] = [
        GoodCase(name: "a decision record", line: #"{"ts":"2026-11-30T08:00:00.123Z","event":"rcpt","code":550,"dnsbl_hits":["a=127.0.0.2","b=127.0.0.4"]}"#,
                 fields: [JSONField(key: "ts", value: .string("2026-11-30T08:00:00.123Z")), JSONField(key: "event", value: .string("rcpt")),
                          JSONField(key: "code", value: .integer(550)),
                          JSONField(key: "dnsbl_hits", value: .array([.string("a=127.0.0.2"), .string("b=127.0.0.4")]))]),
        GoodCase(name: "an empty object", line: "{}", fields: []),
        GoodCase(name: "white space everywhere", line: " { \"a\" : 1 , \"b\" :\t[ ] }\r", fields: [
            JSONField(key: "a", value: .integer(1)), JSONField(key: "b", value: .array([]))]),
        GoodCase(name: "escapes, including a surrogate pair", line: #"{"s":"q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00"}"#,
                 fields: [JSONField(key: "s", value: .string("q\"b\\s/n\nt\tué😀"))]),
        GoodCase(name: "raw UTF-8 passes", line: #"{"helo":"café"}"#, fields: [JSONField(key: "helo", value: .string("café"))]),
        GoodCase(name: "negative, real and exponent numbers", line: #"{"a":-2,"b":0.5,"c":1e3,"d":0}"#, fields: [
            JSONField(key: "a", value: .integer(-2)), JSONField(key: "b", value: .real(0.5)),
            JSONField(key: "c", value: .real(1000)), JSONField(key: "d", value: .integer(0))]),
        GoodCase(name: "literals and a nested object", line: #"{"t":true,"f":false,"n":null,"o":{"x":[1,{"y":"z"}]}}"#, fields: [
            JSONField(key: "t", value: .bool(true)), JSONField(key: "f", value: .bool(false)), JSONField(key: "n", value: .null),
            JSONField(key: "o", value: .object([JSONField(key: "x", value: .array([.integer(1), .object([JSONField(key: "y", value: .string("z"))])]))]))]),
        GoodCase(name: "a repeated key is kept twice", line: #"{"a":1,"a":2}"#, fields: [
            JSONField(key: "a", value: .integer(1)), JSONField(key: "a", value: .integer(2))]),
    ]

    @Test("valid lines", arguments: goodCases)
    func good(_ testCase: GoodCase) throws {
        #expect(try JSONObjectParser.parseObject(Array(testCase.line.utf8)) == testCase.fields)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let error: JSONSyntaxError
        var testDescription: String { name }
        init(_ name: String, _ line: String, _ error: JSONSyntaxError) {
            self.name = name
            self.bytes = Array(line.utf8)
            self.error = error
        }
        init(_ name: String, bytes: [UInt8], _ error: JSONSyntaxError) {
            self.name = name
            self.bytes = bytes
            self.error = error
        }
    }

    static let badCases: [BadCase] = [
        BadCase("an empty line", "", .notAnObject),
        BadCase("plain text", "Nov 30 08:00:00 mx postfix/smtpd[1]: connect", .notAnObject),
        BadCase("an array", "[1,2]", .notAnObject),
        BadCase("cut in the middle", #"{"ts":"2026-11-30T08:00"#, .truncated),
        BadCase("cut after a comma", #"{"a":1,"#, .truncated),
        BadCase("missing colon", #"{"a" 1}"#, .unexpectedByte(offset: 5)),
        BadCase("unquoted key", #"{a:1}"#, .unexpectedByte(offset: 1)),
        BadCase("trailing comma", #"{"a":1,}"#, .unexpectedByte(offset: 7)),
        BadCase("two objects on a line", #"{"a":1}{"b":2}"#, .trailingBytes(offset: 7)),
        BadCase("a bad escape", #"{"a":"\x"}"#, .badString(offset: 7)),
        BadCase("a raw control character", "{\"a\":\"x\ty\"}", .badString(offset: 7)),
        BadCase("invalid UTF-8", bytes: Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), .badString(offset: 5)),
        BadCase("a lone high surrogate", #"{"a":"\ud83d"}"#, .badString(offset: 12)),
        BadCase("a leading zero", #"{"a":01}"#, .badNumber(offset: 5)),
        BadCase("a bare minus", #"{"a":-}"#, .badNumber(offset: 5)),
        BadCase("a fraction without digits", #"{"a":1.}"#, .badNumber(offset: 5)),
        BadCase("a misspelt literal", #"{"a":tru}"#, .unexpectedByte(offset: 5)),
        BadCase("nesting too deep", "{\"a\":" + String(repeating: "[", count: 20) + String(repeating: "]", count: 20) + "}", .tooDeep),
    ]

    @Test("malformed lines are errors, never crashes", arguments: badCases)
    func bad(_ testCase: BadCase) {
        #expect(throws: testCase.error) { try JSONObjectParser.parseObject(testCase.bytes) }
    }
}
