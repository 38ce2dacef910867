/// Where a log line was read: the file (or `-` for stdin) and its 1-based line number.
public struct LineLocation: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int

    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    /// `decisions.jsonl:17`.
    public var description: String { "\(source):\(line)" }
}
