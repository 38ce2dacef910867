import RelayPolicy

/// `relayguard check-config [--config PATH]` (SPEC section 2): validates the configuration
/// file and prints every effective setting as `key = value`, every key in SPEC order,
/// defaults included, like `postconf`. The printed lines are themselves a valid file.
///
/// Exit 0 when valid; 1 with one line `relayguard: FILE:LINE: what` on stderr when not (or
/// `relayguard: PATH: cannot read: reason`); 2 for a usage error.
///
/// It opens only the configuration file: `recipient_map`, the TLS files and the `log` path
/// are checked for syntax, not for existence (they are read by `run`, as the user it runs as).
enum CheckConfigCommand {
    static let name = "check-config"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: relayguard check-config [--config PATH]   (default PATH \(ConfigurationFile.defaultPath))")
            return ExitStatus.success
        }
        let path: String
        do {
            path = try ConfigurationFile.path(fromArguments: arguments, command: name)
        } catch {
            StandardError.line("relayguard: \(error.message)")
            StandardError.line("usage: relayguard check-config [--config PATH]")
            return ExitStatus.usage
        }
        switch ConfigurationFile.load(path: path) {
        case .success(let configuration):
            var output = ""
            for setting in configuration.effectiveSettings {
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
