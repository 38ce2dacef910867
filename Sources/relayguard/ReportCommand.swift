import LogReport

/// `relayguard report [FILE ...] [--json] [--top N]` (SPEC section 2): summarises decision logs
/// (SPEC section 7), plain or gzip-compressed (rotated `*.gz` files), or stdin when no FILE is
/// given (`-` also means stdin).
///
/// Prints decisions by reason, the top refused clients and probed recipients, DNSBL hits per
/// zone, the total tarpit time, and sessions and messages per hour; `--json` prints the same as
/// one JSON document. `--top N` (default 10) is the length of the top lists.
///
/// Lines that are not decision records are counted and reported, never fatal. Exit status: 0;
/// 1 when a file could not be read to its end (a line `relayguard: report: FILE: why` on stderr;
/// the other files are still summarised); 2 usage error.
enum ReportCommand {
    static let usage = "usage: relayguard report [FILE ...] [--json] [--top N]"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        var files: [String] = []
        var json = false
        var top = 10
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--help", "-h":
                print(usage)
                return ExitStatus.success
            case "--json":
                json = true
            case "--top":
                index += 1
                guard index < arguments.count, let number = Int(arguments[index]), number > 0, number <= 1000 else {
                    StandardError.line("relayguard: report: --top needs a number from 1 to 1000")
                    StandardError.line(usage)
                    return ExitStatus.usage
                }
                top = number
            case "--":
                files += arguments[(index + 1)...]
                index = arguments.count
                continue
            default:
                guard !argument.hasPrefix("-") || argument == "-" else {
                    StandardError.line("relayguard: report: unknown option '\(argument)'")
                    StandardError.line(usage)
                    return ExitStatus.usage
                }
                files.append(argument)
            }
            index += 1
        }
        if files.isEmpty { files = ["-"] }

        var summary = LogSummary()
        var status = ExitStatus.success
        for file in files {
            do {
                try LogLineReader.read(path: file, into: &summary)
            } catch {
                StandardError.line("relayguard: report: \(file == "-" ? "stdin" : file): \(error)")
                status = ExitStatus.problem
            }
        }
        let sources = files.map { $0 == "-" ? "stdin" : $0 }
        print(json ? ReportJSON.render(summary, sources: sources, top: top)
                   : ReportText.render(summary, sources: sources, top: top), terminator: "")
        return status
    }
}
