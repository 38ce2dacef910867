#if canImport(Glibc)
import Glibc
#endif

/// The progress line of `relayguard report` on a terminal: for an input over `threshold` bytes
/// (its size when it is a regular file, or the bytes read so far from a pipe), a line on stderr
/// rewritten in place at most four times a second, `relayguard: report: FILE: 312 of 1024 MB
/// (30%)`, and at the end how long the file took.
///
/// Why only on a terminal: in a pipe or a cron job the line would be noise in a log or a mail.
final class ReportProgress {
    static let threshold = 10 * 1024 * 1024
    private static let interval: Int64 = 250_000_000    // nanoseconds

    private let name: String
    /// The file's size, or nil when unknown (a pipe).
    private let size: Int?
    private let started: Int64
    private var lastShown: Int64 = 0
    private var shown = false

    /// A progress line for `path`, or nil when stderr is not a terminal.
    static func forInput(_ path: String) -> ReportProgress? {
        guard isatty(2) == 1 else { return nil }
        var status = stat()
        let found = path == "-" ? fstat(0, &status) : stat(path, &status)
        let isRegular = found == 0 && (status.st_mode & S_IFMT) == S_IFREG
        return ReportProgress(name: path == "-" ? "stdin" : path, size: isRegular ? Int(status.st_size) : nil)
    }

    private init(name: String, size: Int?) {
        self.name = name
        self.size = size
        started = Self.monotonicNanoseconds()
    }

    /// After each chunk: `bytes` read so far.
    func update(_ bytes: Int) {
        guard (size ?? bytes) > Self.threshold else { return }
        let now = Self.monotonicNanoseconds()
        guard !shown || now - lastShown >= Self.interval else { return }
        lastShown = now
        shown = true
        var line = "\rrelayguard: report: \(name): \(bytes >> 20)"
        if let size, size > 0 {
            line += " of \(size >> 20) MB (\(min(100, bytes * 100 / size))%)"
        } else {
            line += " MB"
        }
        StandardError.write(line + "\u{1B}[K")
    }

    /// After the file: the final line, when a progress line was shown.
    func finish(_ bytes: Int) {
        guard shown else { return }
        let nanoseconds = max(Self.monotonicNanoseconds() - started, 1)
        let tenths = nanoseconds / 100_000_000
        let rate = Int64(bytes >> 20) * 1_000_000_000 / nanoseconds
        StandardError.write("\rrelayguard: report: \(name): \(bytes >> 20) MB read in \(tenths / 10).\(tenths % 10) s (\(rate) MB/s)\u{1B}[K\n")
    }

    private static func monotonicNanoseconds() -> Int64 {
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        return Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec)
    }
}
