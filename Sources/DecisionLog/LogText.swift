/// Text a client sent (HELO name, envelope sender, recipient) or a peer wrote (backend reply,
/// error text), kept as the raw bytes.
///
/// Why bytes and not `String`: a client may send any octets, including invalid UTF-8 and
/// control characters. The log must show what was sent as faithfully as JSON allows, so the
/// bytes are kept unchanged here and made safe only when the line is encoded
/// (`JSONLineEncoder`: escapes, and U+FFFD for each maximal invalid UTF-8 subpart).
///
/// `LogText("")` is an empty value, distinct from a nil field: the null sender `<>` is logged
/// as `"from":""`.
public struct LogText: Sendable, Equatable, Hashable, ExpressibleByStringLiteral {
    /// The bytes exactly as received.
    public var bytes: [UInt8]

    public init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    public init(bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The text as a String, each maximal invalid UTF-8 subpart replaced by U+FFFD.
    public var string: String {
        String(decoding: bytes, as: UTF8.self)
    }

    public var isEmpty: Bool { bytes.isEmpty }
}
