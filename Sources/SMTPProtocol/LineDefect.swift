/// What is wrong with a CRLF-terminated command line that `LineFramer` reports as malformed.
///
/// Why: only CRLF ends an SMTP line (RFC 5321 section 2.3.8). A bare CR or LF is read as a line end
/// by some MTAs and not by others; that disagreement is what SMTP smuggling exploits, so a command
/// containing one is refused and never forwarded (docs/ARCHITECTURE.md, protocol safety). NUL is refused for the same reason.
public enum LineDefect: Equatable, Hashable, Sendable {
    /// A CR not followed by LF.
    case bareCR
    /// An LF not preceded by CR.
    case bareLF
    /// A NUL octet.
    case nul
}
