// SocketError: every way the I/O layer can fail, as one closed enum.
//
// Contract: `.system` carries the failing call's name and errno (compare `errno` with Glibc's
// constants, e.g. ECONNREFUSED); `.timedOut` is a deadline the loop enforced (connect). The
// description is one line
// fit for a log record ("connect: Connection refused").
import Glibc

public enum SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    case system(call: String, errno: Int32)
    case timedOut(call: String)

    /// The errno of a `.system` failure (ETIMEDOUT for `.timedOut`), or nil.
    public var errno: Int32? {
        switch self {
        case .system(_, let code): code
        case .timedOut: ETIMEDOUT
        }
    }

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .timedOut(let call): "\(call): timed out"
        }
    }

    /// Captures the thread's current errno for `call`.
    public static func lastError(_ call: String) -> SocketError {
        .system(call: call, errno: Glibc.errno)
    }
}
