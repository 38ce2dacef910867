/// Text from the log made safe inside the HTML page and its SVG charts, which are XML.
///
/// Why so strict: every name in the log (clients, recipients, HELO names, zones) was chosen by
/// whoever connected, so it is attacker-controlled. Escaping `& < > " '` keeps it text in
/// element content and in quoted attributes alike; characters XML 1.0 forbids (C0 controls but
/// tab, LF and CR; U+FFFE, U+FFFF) and those that reorder what is shown around them (the
/// bidirectional overrides and isolates) become U+FFFD, so a name can neither break the SVG
/// nor disguise itself as another.
enum HTMLText {
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0xFFFE || value == 0xFFFF
                    || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// At most `limit` characters, the cut marked with an ellipsis (a label must fit its column;
    /// the full text goes into the element's title).
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "\u{2026}"
    }
}
