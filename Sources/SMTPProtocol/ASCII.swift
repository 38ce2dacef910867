/// Case-insensitive comparison the way SMTP means it: ASCII letters only.
///
/// Why not `String.uppercased()`: it applies Unicode case rules, under which `ſ` (U+017F) is an
/// upper-case `S` and `ı` (U+0131) an upper-case `I`, so `RſET` would read as RSET and
/// `MAıL` as MAIL. The backend compares bytes; so must relayguard, or the two disagree on
/// which command was sent.
public enum ASCII {
    /// The byte with `a`...`z` mapped to `A`...`Z`; every other byte unchanged.
    @inline(__always)
    public static func uppercased(_ byte: UInt8) -> UInt8 {
        byte &- 97 < 26 ? byte &- 32 : byte
    }

    /// The text with ASCII letters upper-cased and every other scalar (non-ASCII included) kept.
    public static func uppercased(_ text: String) -> String {
        String(decoding: text.utf8.map(uppercased), as: UTF8.self)
    }

    /// The bytes upper-cased as ASCII, as text (non-UTF-8 bytes are replaced).
    public static func uppercased<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.map(uppercased), as: UTF8.self)
    }

    /// Whether `bytes` equal `upperCasePattern` ignoring ASCII case; the pattern is upper case.
    public static func equalsIgnoringCase<C: Collection>(_ bytes: C, _ upperCasePattern: [UInt8]) -> Bool where C.Element == UInt8 {
        bytes.count == upperCasePattern.count && zip(bytes, upperCasePattern).allSatisfy { uppercased($0) == $1 }
    }
}
