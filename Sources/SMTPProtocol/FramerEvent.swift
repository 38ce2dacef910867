/// What `LineFramer.nextEvent()` found in the client's command stream.
public enum FramerEvent: Equatable, Sendable {
    /// One complete line exactly as received, CRLF included.
    case line([UInt8])
    /// A line longer than `limit` octets (CRLF included). Reported once, as soon as the limit is
    /// exceeded; the rest of the line is discarded up to and including the next CRLF and is
    /// never returned as a line.
    case lineTooLong(limit: Int)
    /// A complete, CRLF-terminated line (CRLF included) containing a bare CR, a bare LF or a NUL.
    /// The defect is the first one found in the line.
    case malformedLine(LineDefect, [UInt8])
}
