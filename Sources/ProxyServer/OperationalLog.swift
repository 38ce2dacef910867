// OperationalLog: the lines an administrator reads on stderr (or in the journal), one per
// event, in the stable form `relayguard: LEVEL: TEXT` (LEVEL info, warning or error).
//
// Contract: each line is written with one write(2), so lines from the loop thread and the
// decision-log writer thread never interleave. When stderr is the systemd journal
// (`JOURNAL_STREAM` is set) each line starts with its syslog priority (`<6>`, `<4>`, `<3>`),
// which journald turns into the entry's priority and strips from the text.
//
// Why beside the decision log and not in it: the decision log is for machines and may be a
// file nobody watches; a failed reload or an unreachable backend must reach the person who
// ran `systemctl reload` and looks at `journalctl -u relayguard`.
import Glibc

public enum OperationalLog {
    public enum Level: String, Sendable {
        case info, warning, error

        /// The syslog priority journald reads from a `<N>` prefix.
        var priority: Int {
            switch self {
            case .info: 6
            case .warning: 4
            case .error: 3
            }
        }
    }

    /// Whether stderr is the journal: decided once, from the environment systemd sets.
    private static let journal: Bool = getenv("JOURNAL_STREAM") != nil

    /// The line as written, without its newline.
    public static func format(_ level: Level, _ text: String, journal: Bool) -> String {
        (journal ? "<\(level.priority)>" : "") + "relayguard: \(level.rawValue): " + text
    }

    public static func write(_ level: Level, _ text: String) {
        // One line: a newline inside the text would start a line without the prefix.
        let flat = String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        let line = format(level, flat, journal: journal) + "\n"
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    public static func info(_ text: String) { write(.info, text) }
    public static func warning(_ text: String) { write(.warning, text) }
    public static func error(_ text: String) { write(.error, text) }
}
