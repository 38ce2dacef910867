// DecisionLogWriter: decision records out as JSON Lines without blocking the event loop.
//
// Contract: `write(_:)` is called on the loop thread; it stamps nothing (the caller did),
// appends the encoded line to a batch and returns. The batch goes to a serial writer queue
// once per loop turn (`flush()`) or when it grows large, so a slow disk or a stalled
// terminal pipe holds up only the writer thread, never a session. `reopen()` reopens a log
// file (SIGHUP, SIGUSR1: logrotate has moved it).
//
// Why a queue and not non-blocking writes on the loop: regular files cannot be polled
// (epoll refuses them), and a write to a file on a busy disk blocks whatever the flags say.
import DecisionLog
import Dispatch
import Glibc
import RelayPolicy

public final class DecisionLogWriter: @unchecked Sendable {
    // @unchecked: `batch` is touched only on the loop thread; `fd` only on `queue`.
    private let destination: LogDestination
    private let queue = DispatchQueue(label: "relayguard.decision-log")
    private var fd: Int32
    private var batch: [UInt8] = []
    /// Records are also handed to this observer (tests capture them in memory).
    public var observer: ((DecisionRecord) -> Void)?

    public init(_ destination: LogDestination) throws(LogOpenError) {
        self.destination = destination
        fd = try Self.open(destination)
    }

    /// Appends one record to the batch.
    public func write(_ record: DecisionRecord) {
        observer?(record)
        batch.append(contentsOf: record.jsonLine)
        if batch.count >= 64 * 1024 { flush() }
    }

    /// Hands the batch to the writer queue.
    public func flush() {
        guard !batch.isEmpty else { return }
        let lines = batch
        batch.removeAll(keepingCapacity: true)
        queue.async { [self] in Self.writeAll(fd, lines) }
    }

    /// Reopens a log file (no-op for stderr and stdout). `completion` runs on the writer
    /// thread with nil when a file was reopened, or why it could not be (the old file stays
    /// open); it does not run for stderr and stdout.
    public func reopen(completion: (@Sendable (String?) -> Void)? = nil) {
        flush()
        guard case .file = destination else { return }
        let destination = self.destination
        queue.async { [self] in
            let reopened: Int32
            do { reopened = try Self.open(destination) } catch {
                completion?("\(error)")
                return
            }
            Glibc.close(fd)
            fd = reopened
            completion?(nil)
        }
    }

    /// Waits until everything handed over is written (at exit).
    public func drain() {
        flush()
        queue.sync {}
    }

    private static func open(_ destination: LogDestination) throws(LogOpenError) -> Int32 {
        switch destination {
        case .stderr: return STDERR_FILENO
        case .stdout: return STDOUT_FILENO
        case .file(let path):
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw LogOpenError(path: path, errno: errno) }
            return fd
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN {
                        // A non-blocking stdout or stderr that is full: wait for room (on this
                        // writer thread, never the loop) instead of spinning.
                        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&descriptor, 1, 1000)
                        continue
                    }
                    return
                }
                offset += written
            }
        }
    }
}

/// The log destination could not be opened.
public struct LogOpenError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "\(path): cannot open log: \(String(cString: strerror(errno)))" }
}
