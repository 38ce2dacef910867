#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager how the daemon is doing: the `sd_notify` protocol, written here
/// without libsystemd.
///
/// Contract: when `NOTIFY_SOCKET` names a Unix datagram socket (a path, or an abstract name
/// starting with `@`), each `send` writes one datagram of `KEY=VALUE` lines to it; otherwise
/// `send` does nothing. The socket is non-blocking: a service manager that does not read
/// never holds up the event loop, and a message it could not take is dropped (the next one
/// carries the current state again). Under systemd's `Type=notify` the daemon sends:
///
/// - `READY=1` once every listener is bound and the start-up probe of the backend has run;
/// - `RELOADING=1` (with `MONOTONIC_USEC`) when SIGHUP arrives, then `READY=1` once the new
///   configuration is in force or has been refused;
/// - `STOPPING=1` at SIGTERM or SIGINT;
/// - `STATUS=` with the sessions and decisions so far, with each of the above and now and then.
final class ServiceNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private var addressLength: socklen_t = 0
    private var warned = false

    /// Reads `NOTIFY_SOCKET`; nil when it is unset, empty or unusable.
    init?(socketName: String? = ServiceNotifier.environmentSocketName()) {
        guard let socketName, !socketName.isEmpty else { return nil }
        var path = Array(socketName.utf8)
        let isAbstract = path.first == UInt8(ascii: "@")
        guard isAbstract || path.first == UInt8(ascii: "/") else { return nil }
        if isAbstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
        }
        // An abstract name is exactly its bytes (no terminating NUL); a path ends at its NUL.
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        addressLength = socklen_t(pathOffset + path.count + (isAbstract ? 0 : 1))
    }

    deinit { close(fd) }

    /// Sends `fields` (each `KEY=VALUE`) as one datagram.
    func send(_ fields: [String]) {
        let message = Array(fields.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength)
                }
            }
        }
        if sent < 0 && errno != EAGAIN && !warned {
            // Said once: the status line would otherwise repeat it every few seconds.
            warned = true
            StandardError.line("relayguard: warning: cannot notify the service manager at NOTIFY_SOCKET: \(String(cString: strerror(errno)))")
        }
    }

    /// `MONOTONIC_USEC=` as systemd wants it with `RELOADING=1`: CLOCK_MONOTONIC in microseconds.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// `NOTIFY_SOCKET` from the environment, which the service manager sets.
    static func environmentSocketName() -> String? {
        guard let value = getenv("NOTIFY_SOCKET") else { return nil }
        return String(cString: value)
    }
}
