/// Why one configuration value was refused, before the parser knows the file and line.
///
/// The value parsers (addresses, networks, durations, DNSBL sites) throw this; the
/// `ConfigurationParser` adds the file, the line and the key and throws a
/// `ConfigurationError`. Errors are mapped to user-facing text in exactly that one place.
public struct ConfigurationValueError: Error, Equatable, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
