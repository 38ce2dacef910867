#if canImport(Glibc)
import Glibc
#endif
import ProxyServer
import RelayPolicy

/// Every check `run` makes before it binds, in one place, for its two callers: `run` (and its
/// reloads) and `check-config`. A configuration `check-config` accepts, `run` accepts, with the
/// same message at the same `FILE:LINE` and the same exit status when it does not.
///
/// Beyond the parser's syntax and combinations, it checks what needs the system: the user
/// exists; the recipient map (when `recipient_check = map` reads it) and the TLS files can be
/// read, by `user` too when one is set (reloads read them again after root was dropped); the
/// map parses; the certificate and key load and match; the log file can be opened; values this
/// build does not implement are refused. It also warns about settings that have no effect.
struct StartupCheck {
    var policy: LoadedPolicy
    /// `FILE:LINE: what`, for settings that are valid but probably not what was meant.
    var warnings: [String]

    static func run(path: String) -> Result<StartupCheck, ConfigurationFileError> {
        let configuration: Configuration
        switch ConfigurationFile.load(path: path) {
        case .success(let loaded): configuration = loaded
        case .failure(let error): return .failure(error)
        }
        let lines: [ConfigurationKey: Int]
        if case .success(let text) = ConfigurationFile.read(path: path) { lines = ConfigurationKeyLines.of(text) } else { lines = [:] }
        func problem(_ key: ConfigurationKey, _ message: String) -> Result<StartupCheck, ConfigurationFileError> {
            .failure(.invalid(ConfigurationError(file: path, line: lines[key] ?? 1, message: message)))
        }
        func at(_ key: ConfigurationKey, _ message: String) -> String { "\(path):\(lines[key] ?? 1): \(message)" }

        if configuration.bareNewline == .normalize {
            return problem(.bareNewline, "bare_newline = normalize is not supported by this build; use reject")
        }
        var account: FileAccess.Account?
        if let user = configuration.user {
            guard let found = FileAccess.Account.named(user) else { return problem(.user, "user \(user): no such user") }
            account = found
        }
        /// Why `file` (the value of `key`) cannot be read now or by `user`, or nil.
        func unreadable(_ key: ConfigurationKey, _ file: String) -> String? {
            if let reason = FileAccess.readProblem(file) { return "\(key.rawValue) \(file): cannot read: \(reason)" }
            if let account, let reason = FileAccess.readProblem(file, by: account) { return "\(key.rawValue) \(file): \(reason)" }
            return nil
        }

        var map = RecipientMap()
        if configuration.recipientCheck == .map, let mapPath = configuration.recipientMap {
            if let why = unreadable(.recipientMap, mapPath) { return problem(.recipientMap, why) }
            switch ConfigurationFile.read(path: mapPath) {
            case .failure(let error): return problem(.recipientMap, "recipient_map \(error)")
            case .success(let text):
                do { map = try RecipientMap(parsing: text, file: mapPath) } catch { return .failure(.invalid(error)) }
            }
        }
        if let certificate = configuration.tlsCertFile, let key = configuration.tlsKeyFile {
            if let why = unreadable(.tlsCertFile, certificate) { return problem(.tlsCertFile, why) }
            if let why = unreadable(.tlsKeyFile, key) { return problem(.tlsKeyFile, why) }
            do { _ = try SMTPProxy.loadTLS(configuration) } catch {
                let later: ConfigurationKey = (lines[.tlsKeyFile] ?? 0) > (lines[.tlsCertFile] ?? 0) ? .tlsKeyFile : .tlsCertFile
                return problem(later, "TLS certificate and key: \(error)")
            }
        }
        if case .file(let logPath) = configuration.log, let why = logFileProblem(logPath) {
            return problem(.log, "log \(logPath): \(why)")
        }

        var warnings: [String] = []
        if configuration.recipientCheck != .map, let mapPath = configuration.recipientMap {
            warnings.append(at(.recipientMap, "recipient_map \(mapPath) is ignored with recipient_check = \(configuration.recipientCheck.rawValue) (only map reads it)"))
        }
        if configuration.dnsblSites.isEmpty {
            // Set to something else than the default while no zone is looked up: no effect.
            let defaults = Configuration.defaults(hostname: configuration.hostname)
            for key in [ConfigurationKey.dnsblThreshold, .dnsblAction, .dnsblTimeout, .dnsServers]
            where lines[key] != nil && configuration.renderedValue(of: key) != defaults.renderedValue(of: key) {
                warnings.append(at(key, "\(key.rawValue) has no effect: dnsbl_sites is empty"))
            }
        }
        if !configuration.listen.contains(where: { $0.address.isIPv4 }),
           let any = configuration.listen.first(where: { $0.address.isUnspecified && !$0.address.isIPv4 }) {
            warnings.append(at(.listen, "listen \(any) accepts IPv6 clients only (relayguard sets IPV6_V6ONLY); add 0.0.0.0:\(any.port) for IPv4 clients"))
        }
        return .success(StartupCheck(policy: LoadedPolicy(configuration: configuration, recipientMap: map), warnings: warnings))
    }

    /// Why the decision log file cannot be opened for appending, or nil.
    private static func logFileProblem(_ path: String) -> String? {
        if access(path, F_OK) == 0 {
            return access(path, W_OK) == 0 ? nil : "cannot write: \(FileAccess.errorText(errno))"
        }
        let directory = path.split(separator: "/").dropLast().map { "/" + $0 }.joined()
        guard access(directory.isEmpty ? "/" : directory, W_OK) == 0 else {
            return "cannot create it in \(directory.isEmpty ? "/" : directory): \(FileAccess.errorText(errno))"
        }
        return nil
    }
}
