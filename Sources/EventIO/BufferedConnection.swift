// BufferedConnection: one non-blocking TCP socket with a lazily allocated write queue.
//
// Contract (all on the loop thread):
// - Reading: while reading is on, each readable report reads once into the loop's shared buffer
//   and calls `onRead` with those bytes. The bytes are valid only during the call: copy what you
//   keep. `pauseReading()` stops reading (the kernel buffers, then TCP flow control pushes back
//   on the peer); `resumeReading()` starts again. The peer's FIN calls `onEndOfInput` once and
//   reading stops for good; writing still works (half-close).
// - Writing: `write` sends at once as much as the kernel takes; only the rest is copied into the
//   write queue, and only then is EPOLLOUT asked for. When the queue empties, `onWriteQueueDrained`
//   is called (a proxy resumes reading the other side there). `pendingWriteBytes` is what a proxy
//   compares with its high-water mark. `shutdownOutput()` sends FIN once the queue is empty.
// - Failure (reset, broken pipe, any socket error): the socket is closed and `onError` is called
//   once, on a later turn of the loop (never inside the caller's own `write`).
// - `close()` is idempotent and final: after it returns no callback of this connection runs,
//   and the callbacks are released (breaking session <-> connection reference cycles).
//   `closeAfterFlush()` stops reading and closes once the queue has been sent (for "421, bye").
//   `closeWithReset()` closes at once with a TCP reset: whatever is queued, here or in the
//   kernel's send buffer, is discarded (for a session ended for abuse, whose client does not read).
//   `closeWhenDelivered(within:)` is the end of a session: FIN after the queue, the descriptor
//   closed once the kernel has nothing left to deliver, a reset if that takes longer than allowed.
//
// Why memory is kept small: 10,000 idle sessions are two sockets each. An idle connection holds
// no buffer at all (reads use the loop's buffer, the queue is an empty array until a write would
// block and is released again when drained); what remains is this object, a few hundred bytes.
//
// Why a hangup while not reading deregisters the socket: EPOLLHUP is reported whatever the
// interest, so with level-triggering a paused (or finished) reader would be woken on every turn.
// Nothing more can arrive on a hung-up socket; resuming reading registers it again.
import Glibc

public final class BufferedConnection: ReadinessHandler {
    /// Called with each chunk read; the buffer is only valid during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// Called once when the peer has finished sending (FIN); reading has stopped.
    public var onEndOfInput: (() -> Void)?
    /// Called each time a non-empty write queue has been fully handed to the kernel.
    public var onWriteQueueDrained: (() -> Void)?
    /// Called once when the connection failed; it is already closed.
    public var onError: ((SocketError) -> Void)?

    public let loop: EventLoop
    /// The remote end: the client for an accepted connection, the backend for an outbound one.
    public let peerAddress: SocketAddress

    private var fd: Int32
    private var queue: [UInt8] = []
    private var queueStart = 0
    private var interest: IOEvents = []
    private var isRegistered = false
    private var readingPaused = false
    private var inputEnded = false
    private var outputShutdownRequested = false
    private var closeRequestedAfterFlush = false
    /// Set by `closeWhenDelivered`: reading never resumes.
    private var closing = false
    private var deliveryTimer: TimerHandle?

    /// Takes ownership of a connected non-blocking `fd`; closes it if setup fails. `tcp`:
    /// a TCP socket (Nagle is turned off); false for a Unix-domain one.
    init(connectedFD fd: Int32, peer: SocketAddress, loop: EventLoop, tcp: Bool = true) throws(SocketError) {
        self.fd = fd
        self.peerAddress = peer
        self.loop = loop
        do {
            if tcp {
                try Socket.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1, call: "setsockopt(TCP_NODELAY)")
            }
            try updateInterest()
        } catch {
            Socket.close(fd)
            self.fd = -1
            throw error
        }
    }

    deinit {
        // Only reached when never registered or already closed (the loop holds registered ones).
        if fd >= 0 { Socket.close(fd) }
    }

    public var isOpen: Bool { fd >= 0 }
    /// The socket (-1 once closed), for socket options the session layer may want to set.
    public var descriptor: Int32 { fd }
    public var isReadingPaused: Bool { readingPaused }
    /// Bytes accepted by `write` and not yet handed to the kernel.
    public var pendingWriteBytes: Int { queue.count - queueStart }
    /// The local end (the listening address the client reached, or the source of an outbound one).
    public var localAddress: SocketAddress? { isOpen ? Socket.localAddress(fd) : nil }

    // MARK: Reading

    public func pauseReading() {
        guard isOpen, !readingPaused else { return }
        readingPaused = true
        applyInterest()
    }

    public func resumeReading() {
        guard isOpen, readingPaused, !closeRequestedAfterFlush, !closing else { return }
        readingPaused = false
        applyInterest()
    }

    // MARK: Writing

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard isOpen, !outputShutdownRequested, !bytes.isEmpty, let base = bytes.baseAddress else { return }
        var offset = 0
        if queue.isEmpty {
            while offset < bytes.count {
                let sent = send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0, errno == EINTR {
                    continue
                } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    break
                } else {
                    fail(SocketError.lastError("send"))
                    return
                }
            }
        }
        guard offset < bytes.count else { return }
        queue.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        applyInterest()
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Sends FIN after everything queued so far; later writes are ignored. Reading goes on.
    public func shutdownOutput() {
        guard isOpen, !outputShutdownRequested else { return }
        outputShutdownRequested = true
        if queue.isEmpty { shutdownNow() }
    }

    // MARK: Closing

    public func close() {
        onRead = nil
        onEndOfInput = nil
        onWriteQueueDrained = nil
        onError = nil
        if let deliveryTimer { _ = loop.cancel(deliveryTimer) }
        deliveryTimer = nil
        guard isOpen else { return }
        if isRegistered { loop.deregister(fd, closing: true) }
        isRegistered = false
        Socket.close(fd)
        fd = -1
        queue = []
        queueStart = 0
    }

    /// Closes now with a reset (SO_LINGER on, zero seconds): unsent bytes are dropped at once,
    /// here and in the kernel, instead of lingering in an orphaned socket for minutes while a
    /// client that does not read holds its window shut. Idempotent, like `close()`.
    ///
    /// Why: after a plain close the kernel keeps trying to deliver the send buffer to a zero
    /// window; a few hundred such clients pin hundreds of megabytes of kernel memory.
    public func closeWithReset() {
        if isOpen {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close()
    }

    /// Ends the connection once what was written has reached the peer: stops reading, sends FIN
    /// after the queue, and closes the descriptor when the kernel holds no unsent or
    /// unacknowledged byte (SIOCOUTQ, looked at after 10 ms, then at doubling intervals up to
    /// 1 s). Not done within `deadline`: closed with a reset, and what is left is dropped.
    ///
    /// Why not `closeAfterFlush`: that closes once *this* queue is empty, while a send buffer of
    /// replies may still wait in the kernel for a client that does not read; a plain close then
    /// leaves them in an orphaned socket that the kernel keeps for minutes. A client that reads
    /// gets its last replies and the FIN at once, as before; only the descriptor waits.
    public func closeWhenDelivered(within deadline: Duration) {
        guard isOpen, !closing else { return }
        closing = true
        readingPaused = true
        applyInterest()
        shutdownOutput()
        awaitDelivery(after: .milliseconds(10), giveUpAt: loop.now().advanced(by: deadline))
    }

    private func awaitDelivery(after delay: Duration, giveUpAt: MonotonicClock.Instant) {
        deliveryTimer = loop.schedule(after: delay) { [self] in
            deliveryTimer = nil
            guard isOpen else { return }
            if pendingWriteBytes == 0 && Socket.unsentBytes(fd) == 0 {
                close()
            } else if loop.now() >= giveUpAt {
                closeWithReset()
            } else {
                awaitDelivery(after: min(delay * 2, .seconds(1), loop.now().duration(to: giveUpAt)), giveUpAt: giveUpAt)
            }
        }
    }

    /// Stops reading, sends what is queued, then closes (at once if the queue is empty).
    public func closeAfterFlush() {
        guard isOpen else { return }
        if queue.isEmpty { close(); return }
        closeRequestedAfterFlush = true
        readingPaused = true
        applyInterest()
    }

    // MARK: Readiness

    public func handleReadiness(_ events: IOEvents) {
        if events.contains(.error) {
            let code = Socket.pendingError(fd)
            if code != 0 { fail(.system(call: "socket", errno: code)); return }
        }
        if interest.contains(.readable), !events.isDisjoint(with: [.readable, .hangup, .error]) {
            readOnce()
            guard isOpen else { return }
        }
        if events.contains(.writable) || (events.contains(.hangup) && pendingWriteBytes > 0) {
            flushQueue()
            guard isOpen else { return }
        }
        if events.contains(.hangup), !interest.contains(.readable), pendingWriteBytes == 0, isRegistered {
            loop.deregister(fd)
            isRegistered = false
            interest = []
        }
    }

    private func readOnce() {
        let buffer = loop.readBuffer
        let count = recv(fd, buffer.baseAddress, buffer.count, 0)
        if count > 0 {
            onRead?(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        } else if count == 0 {
            inputEnded = true
            applyInterest()
            onEndOfInput?()
        } else if errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
            fail(SocketError.lastError("recv"))
        }
    }

    private func flushQueue() {
        while queueStart < queue.count {
            let sent = queue.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + queueStart, raw.count - queueStart, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                queueStart += sent
            } else if sent < 0, errno == EINTR {
                continue
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                if queueStart >= 65_536, queueStart * 2 >= queue.count {  // keep the queue compact
                    queue.removeFirst(queueStart)
                    queueStart = 0
                }
                return
            } else {
                fail(SocketError.lastError("send"))
                return
            }
        }
        queue = []  // release the storage: an idle connection holds no buffer
        queueStart = 0
        if closeRequestedAfterFlush { close(); return }
        applyInterest()
        guard isOpen else { return }
        if outputShutdownRequested { shutdownNow() }
        onWriteQueueDrained?()
    }

    private func shutdownNow() {
        if Glibc.shutdown(fd, Int32(SHUT_WR)) != 0, errno != ENOTCONN {
            fail(SocketError.lastError("shutdown"))
        }
    }

    // MARK: Interest and failure

    private func applyInterest() {
        do {
            try updateInterest()
        } catch {
            fail(error)
        }
    }

    private func updateInterest() throws(SocketError) {
        guard isOpen else { return }
        var wanted: IOEvents = []
        if !readingPaused, !inputEnded { wanted.insert(.readable) }
        if pendingWriteBytes > 0 { wanted.insert(.writable) }
        if !isRegistered {
            // First registration, or coming back after a hangup deregistered us: only when there
            // is something to wait for (a hung-up socket would otherwise report on every turn).
            guard !wanted.isEmpty else { return }
            try loop.register(fd, interest: wanted, handler: self)
            isRegistered = true
            interest = wanted
            return
        }
        guard wanted != interest else { return }
        try loop.modify(fd, interest: wanted)
        interest = wanted
    }

    /// Closes the socket now and reports `error` on a later turn, unless `close()` comes first.
    private func fail(_ error: SocketError) {
        guard isOpen else { return }
        let report = onError
        close()
        guard let report else { return }
        onError = report
        loop.runSoon { [self] in
            guard let report = onError else { return }  // close() was called meanwhile
            onError = nil
            report(error)
        }
    }
}
