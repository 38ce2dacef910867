/// A configuration file that cannot be used: what is wrong and where.
///
/// `description` is `FILE:LINE: message`; `relayguard check-config` and `run` print it after
/// `relayguard: ` as their one line on stderr (relayguard(8), COMMANDS). For a duplicate key, the
/// line is the second occurrence; for a value spread over continuation lines, the line
/// where the key starts; for a conflict between two keys, the line of the later one.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
