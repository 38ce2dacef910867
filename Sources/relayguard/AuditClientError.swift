/// Why the audit could not talk to the server at all (exit 1, one line on stderr).
enum AuditClientError: Error, CustomStringConvertible {
    case cannotResolve(host: String, reason: String)
    case cannotConnect(target: String, reason: String)
    /// The first connection was refused or dropped before any case could run.
    case refusedAtStart(target: String, what: String)

    var description: String {
        switch self {
        case .cannotResolve(let host, let reason):
            "audit: cannot resolve \(host): \(reason)"
        case .cannotConnect(let target, let reason):
            "audit: cannot connect to \(target): \(reason)"
        case .refusedAtStart(let target, let what):
            "audit: \(target) \(what): nothing could be tested"
        }
    }
}
