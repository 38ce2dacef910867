#if canImport(Glibc)
import Glibc
#endif
import SMTPProtocol

/// A blocking SMTP client connection for the one-shot audit: connect with a timeout, send a
/// command line, wait for a reply with a timeout (`poll`), close.
///
/// Why blocking: the audit is a short-lived client that talks to one server, one command at a
/// time; it never runs inside the daemon's event loop. Replies are read with SMTPProtocol's
/// `ReplyParser`, the one the proxy uses for its backend.
final class SMTPClientConnection {
    private var descriptor: Int32
    private var parser = ReplyParser()

    /// Why a connection could not be made: `strerror` text, or the timeout.
    struct ConnectFailure: Error {
        var reason: String
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Connects to `address` within `timeoutMilliseconds`, or says why not.
    /// `source`, when given, is bound first (port 0: the kernel picks it).
    static func connect(to address: AuditServerAddress, from source: AuditServerAddress? = nil,
                        timeoutMilliseconds: Int) -> Result<SMTPClientConnection, ConnectFailure> {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return .failure(ConnectFailure(reason: errorText(errno))) }
        if let source {
            guard source.family == address.family else {
                Glibc.close(descriptor)
                return .failure(ConnectFailure(reason: "source \(source.numericHost) and server \(address.numericHost) are not the same address family"))
            }
            var local = source.storage
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, source.length) }
            }
            guard bound == 0 else {
                let reason = "cannot bind source \(source.numericHost): " + errorText(errno)
                Glibc.close(descriptor)
                return .failure(ConnectFailure(reason: reason))
            }
        }
        var storage = address.storage
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, address.length) }
        }
        if status != 0 {
            guard errno == EINPROGRESS else {
                let reason = errorText(errno)
                Glibc.close(descriptor)
                return .failure(ConnectFailure(reason: reason))
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = pollRetrying(&poller, timeoutMilliseconds)
            guard ready > 0 else {
                Glibc.close(descriptor)
                return .failure(ConnectFailure(reason: ready == 0 ? "no answer within \(timeoutMilliseconds)ms" : errorText(errno)))
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
            guard socketError == 0 else {
                Glibc.close(descriptor)
                return .failure(ConnectFailure(reason: errorText(socketError)))
            }
        }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        return .success(SMTPClientConnection(descriptor: descriptor))
    }

    var isOpen: Bool { descriptor >= 0 }

    /// Sends `line` and CRLF; false when the connection is gone.
    func send(_ line: String, timeoutMilliseconds: Int) -> Bool {
        guard descriptor >= 0 else { return false }
        var bytes = Array((line + "\r\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                if Self.pollRetrying(&poller, timeoutMilliseconds) > 0 { continue }
            }
            return false
        }
        return true
    }

    /// Waits for the next complete reply, at most `timeoutMilliseconds` in all.
    func readReply(timeoutMilliseconds: Int) -> SMTPClientReply {
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = Self.milliseconds(clock) + timeoutMilliseconds
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            do {
                if let parsed = try parser.nextReply() { return .reply(parsed.reply) }
            } catch {
                return .unreadable("not an SMTP reply (\(error))")
            }
            guard descriptor >= 0 else { return .closed }
            clock_gettime(CLOCK_MONOTONIC, &clock)
            let remaining = deadline - Self.milliseconds(clock)
            guard remaining > 0 else { return .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = Self.pollRetrying(&poller, remaining)
            if ready == 0 { return .timedOut }
            if ready < 0 { return .closed }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { continue }
            guard count > 0 else { return .closed }
            parser.append(buffer[0..<count])
        }
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    private static func pollRetrying(_ poller: inout pollfd, _ timeoutMilliseconds: Int) -> Int32 {
        while true {
            let ready = poll(&poller, 1, Int32(clamping: timeoutMilliseconds))
            if ready < 0 && errno == EINTR { continue }
            return ready
        }
    }

    private static func milliseconds(_ time: timespec) -> Int {
        time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
