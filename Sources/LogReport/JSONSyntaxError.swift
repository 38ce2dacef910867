/// Why a log line is not one JSON object. The report counts such lines; it never stops on them.
public enum JSONSyntaxError: Error, Sendable, Equatable {
    /// The line does not start with `{` (after white space).
    case notAnObject
    /// The line ended inside the object.
    case truncated
    /// A byte where the grammar allows none, at this offset in the line.
    case unexpectedByte(offset: Int)
    /// A string with a bad escape, a raw control character or invalid UTF-8.
    case badString(offset: Int)
    /// A number that is not JSON (`01`, `1.`, `-`).
    case badNumber(offset: Int)
    /// Objects and arrays nested deeper than `JSONObjectParser.maxDepth`.
    case tooDeep
    /// Something after the closing `}` other than white space.
    case trailingBytes(offset: Int)
}
