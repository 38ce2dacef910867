/// Why a `MAIL FROM` or `RCPT TO` path was not accepted as RFC 5321 `Path`.
/// Every case maps to `501 5.1.3` (reason `bad_syntax`) at the relay decision.
public enum PathError: Error, Hashable, Sendable {
    /// Not a `Path`: the text says where it went wrong, for the log.
    case syntax(String)
    /// Local part longer than 64 octets (RFC 5321 section 4.5.3.1.1).
    case localPartTooLong
    /// Domain longer than 255 octets (RFC 5321 section 4.5.3.1.2).
    case domainTooLong
    /// Path longer than 256 octets, angle brackets included (RFC 5321 section 4.5.3.1.3).
    case pathTooLong
}
