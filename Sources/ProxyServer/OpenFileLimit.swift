// OpenFileLimit: the process's descriptor limit, and how many sessions it can hold.
//
// Contract: `raiseToHard()` sets the soft RLIMIT_NOFILE to the hard one (when the hard one is
// unlimited, to the kernel's per-process maximum, /proc/sys/fs/nr_open) and returns the soft
// limit then in force. `sessionCapacity(descriptors:)` is how many proxied sessions fit: two
// descriptors each (client and backend) after `reserve` for everything else.
//
// Why a reserve: the listeners, the epoll, eventfd and signalfd descriptors, the log file, DNS
// queries in flight (one UDP socket each), the backend probe and the standard streams all need
// descriptors too; a proxy whose sessions took every one could not even answer DNS.
import Glibc

public enum OpenFileLimit {
    /// RLIM_INFINITY (all ones), which Swift cannot import as a constant.
    private static let unlimited = rlim_t.max

    /// Descriptors kept for everything but sessions.
    public static let reserve = 64

    /// Sessions that `descriptors` open files can hold (at least 1).
    public static func sessionCapacity(descriptors: Int) -> Int {
        max(1, (descriptors - reserve) / 2)
    }

    /// Raises the soft limit to the hard limit; returns the soft limit in force afterwards.
    @discardableResult
    public static func raiseToHard() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        var target = limit.rlim_max
        if target == unlimited, let kernelMaximum = kernelMaximum() { target = kernelMaximum }
        if target > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == unlimited ? Int.max : Int(clamping: limit.rlim_cur)
    }

    /// /proc/sys/fs/nr_open: the most a process may ask for.
    private static func kernelMaximum() -> rlim_t? {
        let fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return rlim_t(text)
    }
}
