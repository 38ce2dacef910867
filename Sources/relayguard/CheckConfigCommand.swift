import ProxyServer
import RelayPolicy

/// `relayguard check-config [--config PATH]` (relayguard(8), COMMANDS): validates the configuration
/// file and prints every effective setting as `key = value`, every key in the man pages order,
/// defaults included, like `postconf`. The printed lines are themselves a valid file.
///
/// Exit 0 when valid; 1 with one line `relayguard: FILE:LINE: what` on stderr when not (or
/// `relayguard: PATH: cannot read: reason`); 2 for a usage error.
///
/// It makes every check `run` makes before binding (`StartupCheck`: the user exists, the
/// files can be read, by `user` too, the map parses, the TLS pair loads), with the same
/// message and exit status; warnings (`relayguard: warning: FILE:LINE: what`) leave it at 0.
enum CheckConfigCommand {
    static let name = "check-config"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: relayguard check-config [-c|--config PATH]   (default PATH \(ConfigurationFile.defaultPath))")
            return ExitStatus.success
        }
        let path: String
        do {
            path = try ConfigurationFile.path(fromArguments: arguments, command: name)
        } catch {
            StandardError.line("relayguard: \(error.message)")
            StandardError.line("usage: relayguard check-config [-c|--config PATH]")
            return ExitStatus.usage
        }
        switch StartupCheck.run(path: path) {
        case .success(let checked):
            for warning in checked.warnings { OperationalLog.warning(warning) }
            var output = ""
            for setting in checked.policy.configuration.effectiveSettings {
                output += setting.value.isEmpty ? "\(setting.key) =\n" : "\(setting.key) = \(setting.value)\n"
            }
            print(output, terminator: "")
            return ExitStatus.success
        case .failure(let error):
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
    }
}
