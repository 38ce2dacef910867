/// Reads one JSON object from one line of bytes (RFC 8259), for the decision log (relayguard(8), DECISION LOG).
///
/// The log's lines are flat objects of strings, numbers and string arrays, but the parser reads
/// any JSON value inside (nested objects and arrays up to `maxDepth`), so that a field added later
/// does not make a line unreadable. Strings must be valid UTF-8; escapes, `\uXXXX` and surrogate
/// pairs are decoded. Anything else is a `JSONSyntaxError`, never a crash.
///
/// Why not Foundation's JSONSerialization: this module is pure (standard library only), and a
/// report may read gigabytes of lines, one small object each.
public struct JSONObjectParser {
    /// Deepest nesting of objects and arrays accepted (the line's object is depth 1).
    public static let maxDepth = 16

    /// The line being read; valid only inside `parseObject`.
    /// Why a buffer pointer: the report reads millions of lines, and indexing an `Array` costs a
    /// retain and release per byte in unoptimised (debug) builds.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The object's members in the order written (a repeated key appears twice).
    public static func parseObject(_ line: some Collection<UInt8>) throws(JSONSyntaxError) -> [JSONField] {
        let result: Result<[JSONField], JSONSyntaxError>? = line.withContiguousStorageIfAvailable { parse($0) }
        switch result ?? Array(line).withUnsafeBufferPointer({ parse($0) }) {
        case .success(let fields): return fields
        case .failure(let error): throw error
        }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[JSONField], JSONSyntaxError> {
        var parser = JSONObjectParser(bytes)
        do {
            return .success(try parser.object())
        } catch {
            return .failure(error)
        }
    }

    /// The line's one object, with nothing but white space around it.
    private mutating func object() throws(JSONSyntaxError) -> [JSONField] {
        skipWhiteSpace()
        guard peek() == UInt8(ascii: "{") else { throw .notAnObject }
        guard case .object(let fields) = try value(depth: 1) else { throw .notAnObject }
        skipWhiteSpace()
        guard position == bytes.count else { throw .trailingBytes(offset: position) }
        return fields
    }

    // MARK: - Grammar

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        skipWhiteSpace()
        guard let byte = peek() else { throw .truncated }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw .unexpectedByte(offset: position)
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw .tooDeep }
        position += 1    // {
        var fields: [JSONField] = []
        skipWhiteSpace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .object(fields)
        }
        while true {
            skipWhiteSpace()
            guard let byte = peek() else { throw .truncated }
            guard byte == UInt8(ascii: "\"") else { throw .unexpectedByte(offset: position) }
            let key = try string()
            try expect(UInt8(ascii: ":"))
            fields.append(JSONField(key: key, value: try value(depth: depth + 1)))
            skipWhiteSpace()
            guard let next = peek() else { throw .truncated }
            position += 1
            if next == UInt8(ascii: "}") { return .object(fields) }
            guard next == UInt8(ascii: ",") else { throw .unexpectedByte(offset: position - 1) }
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw .tooDeep }
        position += 1    // [
        var elements: [JSONValue] = []
        skipWhiteSpace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth + 1))
            skipWhiteSpace()
            guard let next = peek() else { throw .truncated }
            position += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            guard next == UInt8(ascii: ",") else { throw .unexpectedByte(offset: position - 1) }
        }
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        let start = position
        position += 1    // "
        var runStart = position
        var sawNonASCII = false
        var decoded: [UInt8] = []
        while true {
            guard let byte = peek() else { throw .truncated }
            if byte == UInt8(ascii: "\"") {
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                break
            }
            if byte < 0x20 { throw .badString(offset: position) }
            if byte >= 0x80 { sawNonASCII = true }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
            position += 1
            guard let escape = peek() else { throw .truncated }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try unicodeEscape(start: start)
                decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw .badString(offset: position - 1)
            }
            runStart = position
        }
        if sawNonASCII {
            // Invalid UTF-8 in the line itself is a syntax error, not something to repair.
            guard let text = String(validating: decoded, as: UTF8.self) else { throw .badString(offset: start) }
            return text
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair.
    private mutating func unicodeEscape(start: Int) throws(JSONSyntaxError) -> Unicode.Scalar {
        let high = try hexQuad()
        if (0xD800...0xDBFF).contains(high) {
            guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                throw .badString(offset: position)
            }
            position += 2
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw .badString(offset: position) }
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw .badString(offset: position) }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw .badString(offset: position) }   // a lone low surrogate
        return scalar
    }

    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw .truncated }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .badString(offset: position)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        var isInteger = true
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else { throw .badNumber(offset: start) }
        position += 1
        if first == UInt8(ascii: "0"), let next = peek(), isDigit(next) { throw .badNumber(offset: start) }
        skipDigits()
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let digit = peek(), isDigit(digit) else { throw .badNumber(offset: start) }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek(), isDigit(digit) else { throw .badNumber(offset: start) }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let integer = Int(text) { return .integer(integer) }
        guard let real = Double(text) else { throw .badNumber(offset: start) }
        return .real(real)
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw .truncated }
        var matches = true
        word.withUTF8Buffer { expected in
            for offset in 0..<count where bytes[position + offset] != expected[offset] { matches = false }
        }
        guard matches else { throw .unexpectedByte(offset: position) }
        position += count
    }

    private mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        skipWhiteSpace()
        guard let next = peek() else { throw .truncated }
        guard next == byte else { throw .unexpectedByte(offset: position) }
        position += 1
    }

    // MARK: - Bytes

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { position += 1 }
    }

    private mutating func skipWhiteSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }
}
