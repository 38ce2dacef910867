#if canImport(Glibc)
import Glibc
#endif
import LogReport

/// `relayguard report [FILE ...] [--json] [--top N] [--since T] [--until T] [--html OUT]`
/// (relayguard(8), COMMANDS): summarises decision logs (relayguard(8), DECISION LOG), plain or gzip-compressed (rotated
/// `*.gz` files), or stdin when no FILE is given (`-` also means stdin).
///
/// Prints decisions by reason, the top clients, refused clients and probed recipients, DNSBL
/// hits (and unanswered lookups) per zone, the total tarpit time, and sessions and messages per
/// hour; `--json` prints the same as one JSON document. `--top N` (default 10) is the length of
/// the top lists. `--since T` / `--until T` keep only records with `T <= ts` / `ts < T`, T being
/// ISO 8601 (`2026-12-04T08:00:00Z`, `2026-12-04`; UTC without a zone) or relative to now (`-24h`,
/// `-30m`, `-7d`). `--html OUT` also writes the summary as one self-contained page with charts to
/// OUT (`ReportHTML`); the text or JSON report is still printed.
///
/// On a terminal, a progress line on stderr for each input over 10 MB (`ReportProgress`).
///
/// Lines that are not decision records are counted and reported, never fatal. Exit status: 0;
/// 1 when a file could not be read to its end (a line `relayguard: report: FILE: why` on stderr;
/// the other files are still summarised) or the page could not be written; 2 usage error.
enum ReportCommand {
    static let usage = "usage: relayguard report [FILE ...] [--json] [--top N] [--since T] [--until T] [--html OUT]"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        var files: [String] = []
        var json = false
        var top = 10
        var window = ReportWindow()
        var htmlPath: String?
        let now = currentMilliseconds()
        var index = 0
        func usageError(_ message: String) -> Int32 {
            StandardError.line("relayguard: report: \(message)")
            StandardError.line(usage)
            return ExitStatus.usage
        }
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
                    return usageError("--top needs a number from 1 to 1000")
                }
                top = number
            case "--since", "--until":
                index += 1
                guard index < arguments.count, let instant = ReportTime.parseBound(arguments[index], now: now) else {
                    return usageError("\(argument) needs a time: ISO 8601 (2026-12-04T08:00:00Z, 2026-12-04) or relative (-24h, -30m, -7d)"
                        + (index < arguments.count ? ", not '\(arguments[index])'" : ""))
                }
                if argument == "--since" { window.since = instant } else { window.until = instant }
            case "--html":
                index += 1
                guard index < arguments.count, !arguments[index].isEmpty else { return usageError("--html needs a file name") }
                htmlPath = arguments[index]
            case "--":
                files += arguments[(index + 1)...]
                index = arguments.count
                continue
            default:
                guard !argument.hasPrefix("-") || argument == "-" else { return usageError("unknown option '\(argument)'") }
                files.append(argument)
            }
            index += 1
        }
        if let since = window.since, let until = window.until, since >= until {
            return usageError("--since must be before --until")
        }
        if files.isEmpty { files = ["-"] }

        var summary = LogSummary(window: window)
        var status = ExitStatus.success
        for file in files {
            let progress = ReportProgress.forInput(file)
            var bytesRead = 0
            do {
                try LogLineReader.read(path: file, into: &summary) { bytes in
                    bytesRead = bytes
                    progress?.update(bytes)
                }
                progress?.finish(bytesRead)
            } catch {
                progress?.finish(bytesRead)
                StandardError.line("relayguard: report: \(file == "-" ? "stdin" : file): \(error)")
                status = ExitStatus.problem
            }
        }
        let sources = files.map { $0 == "-" ? "stdin" : $0 }
        if let htmlPath {
            let page = ReportHTML.render(summary, sources: sources, top: top)
            if let failure = write(page, to: htmlPath) {
                StandardError.line("relayguard: report: \(htmlPath): cannot write: \(failure)")
                status = ExitStatus.problem
            }
        }
        print(json ? ReportJSON.render(summary, sources: sources, top: top)
                   : ReportText.render(summary, sources: sources, top: top), terminator: "")
        return status
    }

    /// The current time in milliseconds since the epoch (the base of `-24h`).
    private static func currentMilliseconds() -> Int {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return Int(clock.tv_sec) * 1000 + Int(clock.tv_nsec) / 1_000_000
    }

    /// Writes `text` to a new file at `path` (replaced if it exists); nil, or why not.
    ///
    /// Why through a temporary file and rename: a page being rewritten by a cron job is never
    /// seen half written.
    private static func write(_ text: String, to path: String) -> String? {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let why = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                return why
            }
            bytes = bytes.dropFirst(written)
        }
        guard close(descriptor) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            return why
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            return why
        }
        return nil
    }
}
