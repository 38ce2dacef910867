// DecisionLogWriter: decision records out as JSON Lines without blocking the event loop.
//
// Contract: `write(_:)` is called on the loop thread; it stamps nothing (the caller did),
// appends the encoded line to a batch and returns. The batch goes to a serial writer queue
// once per loop turn (`flush()`) or when it grows large, so a slow disk or a stalled
// terminal pipe holds up only the writer thread, never a session. `reopen()` reopens a log
// file (SIGHUP, SIGUSR1: logrotate has moved it).
//
// Backpressure: the bytes handed to the writer and not yet written are counted. Once they
// pass `highWaterBytes` the writer is *behind* (`isBehind`, and `onBehindChange(true)` on the
// loop thread); it is caught up again once they are down to `lowWaterBytes`
// (`onBehindChange(false)`, woken from the writer thread through the loop's remote). The proxy
// stops taking new work meanwhile (no accepts, no commands read), so the queue stays bounded;
// nothing is ever dropped here: `write` always takes the record.
//
// Why a queue and not non-blocking writes on the loop: regular files cannot be polled
// (epoll refuses them), and a write to a file on a busy disk blocks whatever the flags say.
// Why two marks: with one, a writer hovering at the mark would flip the proxy between
// paused and serving on every batch.
import EventIO
import DecisionLog
import Dispatch
import Glibc
import RelayPolicy
import Synchronization

public final class DecisionLogWriter: @unchecked Sendable {
    // @unchecked: `batch`, `isBehind` and the callbacks are touched only on the loop thread;
    // `fd` and `writeFailing` only on `queue`; `unwritten` and `catchUpWanted` are atomics shared by both.
    private let destination: LogDestination
    private let queue = DispatchQueue(label: "relayguard.decision-log")
    private var fd: Int32
    private var batch: [UInt8] = []
    /// Bytes handed to the writer queue and not yet written.
    private let unwritten = Atomic<Int>(0)
    /// Set by the loop while behind; the writer thread that brings `unwritten` down to the low
    /// mark clears it and wakes the loop (exactly one of the two sides does).
    private let catchUpWanted = Atomic<Bool>(false)
    private var remote: EventLoopRemote?
    /// Records are also handed to this observer (tests capture them in memory).
    public var observer: ((DecisionRecord) -> Void)?
    /// Called on the loop thread when the writer falls behind (true) and catches up (false).
    public var onBehindChange: ((Bool) -> Void)?
    /// Above this many unwritten bytes the writer is behind.
    public var highWaterBytes = 4 << 20
    /// At or below this many unwritten bytes a writer that was behind has caught up.
    public var lowWaterBytes = 1 << 20
    /// True from the moment the unwritten bytes pass `highWaterBytes` until they are down to
    /// `lowWaterBytes`. Loop thread only.
    public private(set) var isBehind = false

    public init(_ destination: LogDestination) throws(LogOpenError) {
        self.destination = destination
        fd = try Self.open(destination)
    }

    /// Lets the writer thread wake `loop` when it catches up. Call once, on the loop thread,
    /// before the first record.
    public func attach(to loop: EventLoop) {
        remote = loop.remote
    }

    /// Bytes handed to the writer and not yet written (any thread; a snapshot).
    public var unwrittenBytes: Int { unwritten.load(ordering: .sequentiallyConsistent) }

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
        hand(lines)
    }

    /// An operational line (`relayguard: LEVEL: ...`) for stderr. When the decision log is
    /// stderr too, it goes through the writer queue: in order with the records, and never a
    /// blocking write on the loop thread into a pipe that may be full.
    public func writeOperationalLine(_ text: String) {
        guard case .stderr = destination else {
            StandardErrorLine.write(text)
            return
        }
        flush()
        hand(Array((text + "\n").utf8))
    }

    private func hand(_ lines: [UInt8]) {
        let size = lines.count
        let total = unwritten.add(size, ordering: .sequentiallyConsistent).newValue
        let remote = self.remote
        let lowWater = lowWaterBytes
        queue.async { [self] in
            write(lines)
            let left = unwritten.subtract(size, ordering: .sequentiallyConsistent).newValue
            if left <= lowWater, let remote,
               catchUpWanted.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
                remote.execute { [self] in caughtUp() }
            }
        }
        if !isBehind && total > highWaterBytes {
            isBehind = true
            onBehindChange?(true)
            waitForCatchUp()
        }
    }

    /// Asks the writer thread to wake the loop at the low mark, unless it is already there.
    private func waitForCatchUp() {
        catchUpWanted.store(true, ordering: .sequentiallyConsistent)
        if unwritten.load(ordering: .sequentiallyConsistent) <= lowWaterBytes,
           catchUpWanted.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
            if let remote {
                remote.execute { [self] in caughtUp() }
            } else {
                caughtUp()
            }
        }
    }

    /// On the loop thread: the writer reached the low mark (it may have been refilled since).
    private func caughtUp() {
        guard isBehind else { return }
        guard unwritten.load(ordering: .sequentiallyConsistent) <= lowWaterBytes else {
            waitForCatchUp()
            return
        }
        isBehind = false
        onBehindChange?(false)
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

    /// On the writer queue: writes `bytes`, saying on stderr when they could not be written
    /// (once per run of failures; never silently lost).
    private func write(_ bytes: [UInt8]) {
        let failure = Self.writeAll(fd, bytes)
        guard let failure else {
            if writeFailing {
                writeFailing = false
                if destination != .stderr { StandardErrorLine.write("relayguard: info: decision log: writing again") }
            }
            return
        }
        if !writeFailing {
            writeFailing = true
            if destination != .stderr {
                StandardErrorLine.write("relayguard: error: decision log: \(bytes.count) bytes of records lost: \(String(cString: strerror(failure)))")
            }
        }
    }

    /// Writer queue only: the last write failed.
    private var writeFailing = false

    /// Writes all of `bytes`; the errno that stopped it, or nil.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
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
                    return errno
                }
                offset += written
            }
            return nil
        }
    }
}

/// The log destination could not be opened.
public struct LogOpenError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "\(path): cannot open log: \(String(cString: strerror(errno)))" }
}
