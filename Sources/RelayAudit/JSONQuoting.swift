/// JSON string literals for the audit document (RFC 8259 section 7).
///
/// `"` and `\` are backslash-escaped, control characters (U+0000…U+001F, U+007F) become
/// `\n`, `\r`, `\t` or `\u00XX`, and U+2028/U+2029 become `\u2028`/`\u2029`; everything else
/// passes as it is (a Swift `String` is always valid Unicode, so the output is valid UTF-8).
enum JSONQuoting {
    static func quoted(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u00" + hexByte(UInt8(scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
