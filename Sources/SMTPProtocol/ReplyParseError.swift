/// Why the backend MTA's reply stream could not be read as RFC 5321 replies.
///
/// Every case means the backend is broken or is not an SMTP server: the session driver maps
/// any of them, in one place, to `451 4.3.0` (or `421 4.3.0` at the greeting) and drops the backend.
/// The parser stays failed after throwing: the same error is thrown again on every later call.
public enum ReplyParseError: Error, Hashable, Sendable {
    /// A line longer than `ReplyParser.maxLineLength` octets (line end included), or
    /// that many octets received without a line end.
    case lineTooLong
    /// More than `ReplyParser.maxLinesPerReply` lines in one multi-line reply.
    case tooManyLines
    /// A line that does not start with three digits followed by `-`, space or the line end.
    case malformedLine
    /// A reply code outside 200...599 (RFC 5321 section 4.2: the first digit is 2 to 5).
    case codeOutOfRange(Int)
    /// A line of a multi-line reply with another code than the first line's.
    case mixedCodes(first: Int, then: Int)
    /// A NUL or a CR that does not end the line: these could break the client's framing
    /// if the text were relayed.
    case invalidCharacter
}
