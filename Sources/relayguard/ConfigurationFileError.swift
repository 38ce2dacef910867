import RelayPolicy

/// Why a configuration file could not be used; `description` follows `relayguard: ` on stderr.
enum ConfigurationFileError: Error, CustomStringConvertible {
    /// The file could not be opened or read: `PATH: cannot read: reason`.
    case unreadable(path: String, reason: String)
    /// The file was read but is not a valid configuration: `FILE:LINE: what`.
    case invalid(ConfigurationError)

    var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .invalid(let error): error.description
        }
    }
}
