// relayguard's command line (relayguard(8), COMMANDS).
//
// Each subcommand is one row of `subcommands`: its name, its synopsis for `--help`, and the
// function that runs it with the arguments after its name and returns the exit status.
// To add a command, write `SomethingCommand.run(_:)` and point its row at it.
#if canImport(Glibc)
import Glibc
#endif

let subcommands: [Subcommand] = [
    Subcommand(
        name: "run", synopsis: "run [-c|--config PATH]",
        summary: "the daemon (default PATH \(ConfigurationFile.defaultPath))",
        run: RunCommand.run),
    Subcommand(
        name: "check-config", synopsis: "check-config [-c|--config PATH]",
        summary: "validate the configuration; print every effective setting as `key = value`; exit 1 on error",
        run: CheckConfigCommand.run),
    Subcommand(
        name: "audit", synopsis: "audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout DURATION] [--source ADDR]",
        summary: "open-relay audit of any SMTP server; exit 1 when a relay attempt was accepted",
        run: AuditCommand.run),
    Subcommand(
        name: "report", synopsis: "report [FILE ...] [--json] [--top N] [--since T] [--until T] [--html OUT]",
        summary: "summarise decision logs (stdin when no FILE)",
        run: ReportCommand.run),
    Subcommand(
        name: "ctl", synopsis: "ctl [--socket PATH] blocks | unblock ADDR|all | block ADDR DURATION | stats | zones | sessions",
        summary: "ask a running relayguard over its control socket (default \(CtlCommand.defaultSocket))",
        run: CtlCommand.run),
    Subcommand(
        name: "demo", synopsis: "demo [--port N]",
        summary: "embedded default: proxy + built-in sink backend on loopback",
        run: DemoCommand.run),
]

exit(Subcommand.dispatch(Array(CommandLine.arguments.dropFirst()), among: subcommands))
