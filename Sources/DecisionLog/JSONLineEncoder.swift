/// Builds one JSON object as UTF-8 bytes, field by field, ending in `}\n` (one JSON Lines line).
///
/// Every string value is escaped so that the line is valid JSON and valid UTF-8 whatever bytes
/// a client sent:
/// - `"` and `\` are backslash-escaped;
/// - U+0000...U+001F become `\b \t \n \f \r` or `\u00XX`, and DEL (0x7F) becomes `\u007f`;
/// - U+2028 and U+2029 become `\u2028` and `\u2029` (they end a line in JavaScript);
/// - each maximal invalid UTF-8 subpart becomes one U+FFFD, exactly as
///   `String(decoding:as: UTF8.self)` would decode it;
/// - all other valid UTF-8 passes through unescaped.
///
/// Why not `String` and `JSONEncoder`: the module is pure (no Foundation), and a log line is
/// written for every decision, so it is built into one reserved `[UInt8]` without a String per
/// field. Keys are `StaticString`s written as they are: callers pass plain ASCII names.
public struct JSONLineEncoder: Sendable {
    private var output: [UInt8]
    private var hasFields = false

    /// Starts an object; `capacity` is a hint for the finished line's size.
    public init(reservingCapacity capacity: Int = 256) {
        output = []
        output.reserveCapacity(capacity)
        output.append(UInt8(ascii: "{"))
    }

    /// A string field.
    public mutating func field(_ key: StaticString, string value: String) {
        appendKey(key)
        var value = value
        value.withUTF8 { appendQuoted($0) }
    }

    /// A string field from raw bytes (any bytes, escaped and repaired as described above).
    public mutating func field(_ key: StaticString, text value: LogText) {
        appendKey(key)
        value.bytes.withUnsafeBufferPointer { appendQuoted($0) }
    }

    /// A JSON number field.
    public mutating func field(_ key: StaticString, integer value: Int) {
        appendKey(key)
        if value < 0 {
            output.append(UInt8(ascii: "-"))
        }
        JSONLineEncoder.appendDecimal(UInt64(value.magnitude), to: &output)
    }

    /// An array-of-strings field.
    public mutating func field(_ key: StaticString, strings values: [String]) {
        appendKey(key)
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 {
                output.append(UInt8(ascii: ","))
            }
            var value = value
            value.withUTF8 { appendQuoted($0) }
        }
        output.append(UInt8(ascii: "]"))
    }

    /// A timestamp field in the `ts` format (`2026-11-30T08:00:00.123Z`).
    public mutating func field(_ key: StaticString, timestamp value: Timestamp) {
        appendKey(key)
        output.append(UInt8(ascii: "\""))
        value.appendISO8601(to: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// Closes the object and returns the line, `\n` included.
    public consuming func finish() -> [UInt8] {
        output.append(UInt8(ascii: "}"))
        output.append(UInt8(ascii: "\n"))
        return output
    }

    // MARK: - Pieces

    private mutating func appendKey(_ key: StaticString) {
        if hasFields {
            output.append(UInt8(ascii: ","))
        }
        hasFields = true
        output.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "\""))
        output.append(UInt8(ascii: ":"))
    }

    private mutating func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        output.append(UInt8(ascii: "\""))
        JSONLineEncoder.appendEscaped(bytes, to: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` as the inside of a JSON string (no quotes), escaped and repaired.
    /// Runs of bytes that need nothing are copied in one piece.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7F {
                    index += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                appendEscapedASCII(byte, to: &out)
                index += 1
                runStart = index
                continue
            }
            let sequence = utf8Sequence(in: bytes, at: index)
            if sequence.isValid {
                if sequence.length == 3 && byte == 0xE2 && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                    index += 3
                    runStart = index
                } else {
                    index += sequence.length
                }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(0xEF)   // U+FFFD REPLACEMENT CHARACTER
                out.append(0xBF)
                out.append(0xBD)
                index += sequence.length
                runStart = index
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
    }

    /// The UTF-8 sequence starting at `index` (whose byte is 0x80 or above): its length when
    /// valid, or else the length of its maximal invalid subpart (at least 1), which is what
    /// one U+FFFD replaces (Unicode's "substitution of maximal subparts", as the stdlib does).
    private static func utf8Sequence(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (isValid: Bool, length: Int) {
        let lead = bytes[index]
        let continuations: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF:
            continuations = 1
        case 0xE0:
            continuations = 2
            secondLow = 0xA0          // no overlong 3-byte forms
        case 0xE1...0xEC, 0xEE...0xEF:
            continuations = 2
        case 0xED:
            continuations = 2
            secondHigh = 0x9F         // no UTF-16 surrogates
        case 0xF0:
            continuations = 3
            secondLow = 0x90          // no overlong 4-byte forms
        case 0xF1...0xF3:
            continuations = 3
        case 0xF4:
            continuations = 3
            secondHigh = 0x8F         // nothing above U+10FFFF
        default:                      // a continuation byte, C0, C1 or F5...FF: never valid as a lead
            return (false, 1)
        }
        var offset = 1
        while offset <= continuations {
            guard index + offset < bytes.count else {
                return (false, offset)
            }
            let byte = bytes[index + offset]
            let low: UInt8 = offset == 1 ? secondLow : 0x80
            let high: UInt8 = offset == 1 ? secondHigh : 0xBF
            guard byte >= low && byte <= high else {
                return (false, offset)
            }
            offset += 1
        }
        return (true, continuations + 1)
    }

    private static func appendEscapedASCII(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        default:
            out.removeLast()
            appendUnicodeEscape(UInt16(byte), to: &out)
        }
    }

    /// `\uXXXX` with lower-case hex digits.
    private static func appendUnicodeEscape(_ codeUnit: UInt16, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        hex.withUTF8Buffer { digits in
            out.append(digits[Int(codeUnit >> 12 & 0xF)])
            out.append(digits[Int(codeUnit >> 8 & 0xF)])
            out.append(digits[Int(codeUnit >> 4 & 0xF)])
            out.append(digits[Int(codeUnit & 0xF)])
        }
    }

    /// Decimal digits of `value`, left-padded with zeros to `minimumDigits`.
    /// Digits are produced right to left with divisions by the constant 10 (cheap multiplies),
    /// then appended in one piece.
    static func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, to out: inout [UInt8]) {
        let capacity = max(20, minimumDigits)   // UInt64.max has 20 digits
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var start = capacity
            var rest = value
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            while capacity - start < minimumDigits {
                start -= 1
                buffer[start] = UInt8(ascii: "0")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<capacity]))
        }
    }
}
