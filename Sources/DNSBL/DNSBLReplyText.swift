/// Turns a DNSBL's TXT record into text that may follow `554 5.7.1` in a reply line.
///
/// The strings of the record are joined, every control character (C0, DEL, C1) becomes a space,
/// runs of spaces become one, and the result is trimmed and cut to `limit` characters.
///
/// Why: the TXT text comes from a third party over UDP. A CR or LF in it would end our reply line
/// and inject a second one into the client's session; a 2,000-octet text would break the
/// 512-octet reply-line limit of RFC 5321.
public enum DNSBLReplyText {
    public static let defaultLimit = 200

    /// The cleaned text, or nil when nothing printable is left.
    public static func clean(_ strings: [String], limit: Int = defaultLimit) -> String? {
        var out = ""
        var pendingSpace = false
        var count = 0
        for scalar in strings.joined().unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            if isControl || scalar == " " || scalar == "\u{FFFD}" {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                guard count + 1 < limit else { break }
                out.unicodeScalars.append(" ")
                count += 1
                pendingSpace = false
            }
            guard count < limit else { break }
            out.unicodeScalars.append(scalar)
            count += 1
        }
        return out.isEmpty ? nil : out
    }
}
