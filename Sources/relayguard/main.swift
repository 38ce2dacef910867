// relayguard's command line (SPEC section 2).
//
// Each subcommand is one row of `subcommands`: its name, its synopsis for `--help`, and the
// function that runs it with the arguments after its name and returns the exit status.
// To add a command, write `SomethingCommand.run(_:)` and point its row at it.
#if canImport(Glibc)
import Glibc
#endif

let subcommands: [Subcommand] = [
    Subcommand(
        name: "run", synopsis: "run [--config PATH]",
        summary: "the daemon (default PATH \(ConfigurationFile.defaultPath))",
        run: RunCommand.run),
    Subcommand(
        name: "check-config", synopsis: "check-config [--config PATH]",
        summary: "validate the configuration; print every effective setting as `key = value`; exit 1 on error",
        run: CheckConfigCommand.run),
    Subcommand(
        name: "audit", synopsis: "audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout DURATION]",
        summary: "open-relay audit of any SMTP server; exit 1 when a relay attempt was accepted",
        run: AuditCommand.run),
    Subcommand(
        name: "report", synopsis: "report [FILE ...] [--json] [--top N] [--since T] [--until T] [--html OUT]",
        summary: "summarise decision logs (stdin when no FILE)",
        run: ReportCommand.run),
    Subcommand(
        name: "demo", synopsis: "demo",
        summary: "embedded default: proxy + built-in sink backend on loopback",
        run: DemoCommand.run),
]

exit(Subcommand.dispatch(Array(CommandLine.arguments.dropFirst()), among: subcommands))
