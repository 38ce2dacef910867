#if canImport(Glibc)
import Glibc
#endif

/// One `relayguard` subcommand: a row of the dispatch table in `main.swift`.
struct Subcommand: Sendable {
    /// The word on the command line: `check-config`.
    var name: String
    /// The usage line after `relayguard `, for `--help`.
    var synopsis: String
    /// One line on what it does.
    var summary: String
    /// Runs the command with the arguments after its name; returns the exit status.
    var run: @Sendable ([String]) -> Int32

    /// Picks the subcommand named by the first argument, or answers `--version` and `--help`.
    /// No argument or an unknown command is a usage error (exit 2).
    static func dispatch(_ arguments: [String], among subcommands: [Subcommand]) -> Int32 {
        guard let first = arguments.first else {
            StandardError.write(usage(subcommands))
            return ExitStatus.usage
        }
        switch first {
        case "--version":
            print(BuildInfo.versionLine)
            return ExitStatus.success
        case "--help", "-h", "help":
            print(usage(subcommands), terminator: "")
            return ExitStatus.success
        default:
            guard let subcommand = subcommands.first(where: { $0.name == first }) else {
                StandardError.line("relayguard: unknown command '\(first)' (see relayguard --help)")
                return ExitStatus.usage
            }
            return subcommand.run(Array(arguments.dropFirst()))
        }
    }

    /// The `--help` text: every command of relayguard(8), COMMANDS and the exit codes.
    static func usage(_ subcommands: [Subcommand]) -> String {
        var text = "usage:\n"
        for subcommand in subcommands {
            text += "  relayguard \(subcommand.synopsis)\n      \(subcommand.summary)\n"
        }
        text += "  relayguard --version | --help\n"
        text += "\nexit status: 0 success; 1 a problem found (bad config, open relay found); 2 usage error\n"
        return text
    }

    /// The runner of a command this build does not have yet: a usage error (exit 2).
    static func notImplemented(_ name: String) -> @Sendable ([String]) -> Int32 {
        { _ in
            StandardError.line("relayguard: '\(name)' is not implemented in this build")
            return ExitStatus.usage
        }
    }
}
