/// One logical `key = value` line of a configuration file, with the number of the
/// physical line where it starts.
///
/// Postfix `main.cf` rules: a line whose first non-blank character is `#` is a comment
/// (a `#` later in a line is part of the value); blank lines are ignored; a line that
/// starts with white space continues the previous logical line, even across comments
/// and blank lines. Continuations are joined with one space. A CR before the LF is dropped.
struct ConfigurationLine: Equatable, Sendable {
    var key: String
    var value: String
    var lineNumber: Int

    /// Splits `text` into logical lines, checking that each one is `key = value`.
    static func split(_ text: String, file: String) throws(ConfigurationError) -> [ConfigurationLine] {
        var logical: [(text: String, lineNumber: Int)] = []
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = String(decoding: rawLine, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.drop(while: isBlank)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let first = line.first, isBlank(first) {
                guard !logical.isEmpty else {
                    throw ConfigurationError(
                        file: file, line: lineNumber,
                        message: "continuation line (it starts with white space) without a key = value line before it")
                }
                logical[logical.count - 1].text += " " + trimmedBlanks(trimmed)
            } else {
                logical.append((trimmedBlanks(line), lineNumber))
            }
        }
        var result: [ConfigurationLine] = []
        for (text, lineNumber) in logical {
            guard let equals = text.firstIndex(of: "=") else {
                throw ConfigurationError(
                    file: file, line: lineNumber,
                    message: "missing '=' in \"\(text)\" (expected key = value)")
            }
            let key = trimmedBlanks(text[..<equals])
            let value = trimmedBlanks(text[text.index(after: equals)...])
            guard !key.isEmpty else {
                throw ConfigurationError(file: file, line: lineNumber, message: "missing key before '='")
            }
            guard key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw ConfigurationError(file: file, line: lineNumber, message: "bad key name \"\(key)\"")
            }
            result.append(ConfigurationLine(key: key, value: value, lineNumber: lineNumber))
        }
        return result
    }

    private static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    private static func trimmedBlanks(_ text: some StringProtocol) -> String {
        String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}
