/// Where each key is set in a configuration file's text: the line a start-up check names when
/// a valid value cannot be used (a file that does not exist, a user that does not exist).
///
/// Pure, like the parser: it is given the text. Only meaningful for text the parser accepted.
public enum ConfigurationKeyLines {
    /// The line number where each key present in `text` starts.
    public static func of(_ text: String) -> [ConfigurationKey: Int] {
        guard let lines = try? ConfigurationLine.split(ConfigurationText.withoutByteOrderMark(text), file: "") else { return [:] }
        var result: [ConfigurationKey: Int] = [:]
        for line in lines {
            if let key = ConfigurationKey(rawValue: line.key), result[key] == nil { result[key] = line.lineNumber }
        }
        return result
    }
}
