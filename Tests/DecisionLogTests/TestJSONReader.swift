/// A tiny, strict JSON reader for the tests: it reads back what `DecisionRecord.jsonLine`
/// writes (an object of strings, integers and arrays of strings) so the tests can check that
/// every line round-trips. It rejects what a strict JSON parser would: raw control characters
/// in strings, unknown escapes, trailing bytes.
enum TestJSONValue: Equatable {
    case string(String)
    case number(Int)
    case array([TestJSONValue])
}

struct TestJSONError: Error, CustomStringConvertible {
    var description: String
}

struct TestJSONReader {
    private let bytes: [UInt8]
    private var index = 0

    /// Parses one line: a JSON object followed by exactly one `\n`. Keys are returned in order.
    static func parseLine(_ line: [UInt8]) throws -> [(key: String, value: TestJSONValue)] {
        guard String(validating: line, as: UTF8.self) != nil else {
            throw TestJSONError(description: "not valid UTF-8")
        }
        guard line.last == UInt8(ascii: "\n") else {
            throw TestJSONError(description: "no final newline")
        }
        var reader = TestJSONReader(bytes: Array(line.dropLast()))
        let object = try reader.readObject()
        guard reader.index == reader.bytes.count else {
            throw TestJSONError(description: "trailing bytes at \(reader.index)")
        }
        return object
    }

    /// Unescapes the inside of one JSON string (without its quotes).
    static func unescape(_ inner: [UInt8]) throws -> String {
        var reader = TestJSONReader(bytes: [UInt8(ascii: "\"")] + inner + [UInt8(ascii: "\"")])
        let value = try reader.readString()
        guard reader.index == reader.bytes.count else {
            throw TestJSONError(description: "unescaped quote inside string")
        }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard index < bytes.count, bytes[index] == byte else {
            throw TestJSONError(description: "expected \(Character(UnicodeScalar(byte))) at \(index)")
        }
        index += 1
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func readObject() throws -> [(key: String, value: TestJSONValue)] {
        try expect(UInt8(ascii: "{"))
        var fields: [(key: String, value: TestJSONValue)] = []
        if peek() == UInt8(ascii: "}") {
            index += 1
            return fields
        }
        while true {
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            fields.append((key, try readValue()))
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return fields
        }
    }

    private mutating func readValue() throws -> TestJSONValue {
        switch peek() {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "["):
            index += 1
            var elements: [TestJSONValue] = []
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try readValue())
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return .array(elements)
            }
        default:
            return .number(try readInteger())
        }
    }

    private mutating func readInteger() throws -> Int {
        let start = index
        if peek() == UInt8(ascii: "-") {
            index += 1
        }
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Int(text), !(text.hasPrefix("0") && text.count > 1), !text.hasPrefix("-0") else {
            throw TestJSONError(description: "bad number \(text) at \(start)")
        }
        return value
    }

    private mutating func readString() throws -> String {
        try expect(UInt8(ascii: "\""))
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw TestJSONError(description: "unterminated string")
            }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw TestJSONError(description: "string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                guard let escape = peek() else {
                    throw TestJSONError(description: "unterminated escape")
                }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalarValue = UInt32(try readHex4())
                    if (0xD800...0xDBFF).contains(scalarValue) {
                        try expect(UInt8(ascii: "\\"))
                        try expect(UInt8(ascii: "u"))
                        let low = UInt32(try readHex4())
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw TestJSONError(description: "lone high surrogate")
                        }
                        scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else {
                        throw TestJSONError(description: "bad \\u escape")
                    }
                    utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw TestJSONError(description: "unknown escape \\\(Character(UnicodeScalar(escape)))")
                }
            default:
                guard byte >= 0x20 else {
                    throw TestJSONError(description: "raw control character 0x\(String(byte, radix: 16)) in string")
                }
                utf8.append(byte)
            }
        }
    }

    private mutating func readHex4() throws -> UInt16 {
        guard index + 4 <= bytes.count,
              let value = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw TestJSONError(description: "bad \\u escape at \(index)")
        }
        index += 4
        return value
    }
}
