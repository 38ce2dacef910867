/// The text of a configuration or map file before it is split into lines.
public enum ConfigurationText {
    /// `text` without a UTF-8 byte order mark at its start.
    ///
    /// Why: editors on other systems save UTF-8 with a BOM (U+FEFF); read as part of the first
    /// key it would make a valid first line an "unknown key" that looks exactly like a known one.
    public static func withoutByteOrderMark(_ text: String) -> String {
        text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
    }
}
