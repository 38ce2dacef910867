/// `log`: where the decision log is written.
public enum LogDestination: Hashable, Sendable, CustomStringConvertible {
    case stderr
    case stdout
    /// An absolute file path, reopened on SIGHUP and SIGUSR1 (for logrotate).
    case file(String)

    /// The value in configuration syntax.
    public var description: String {
        switch self {
        case .stderr: "stderr"
        case .stdout: "stdout"
        case .file(let path): path
        }
    }
}
