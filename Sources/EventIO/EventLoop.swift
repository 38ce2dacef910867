// EventLoop: one thread, one epoll instance, all sockets and timers of the proxy.
//
// Contract:
// - Everything a loop owns (handlers, connections, timers) is created, used and closed on the
//   loop's thread; the loop is deliberately not `Sendable`. Other threads talk to it through
//   `remote` (`execute`, `stop`) only.
// - `run()` blocks, serving readiness reports, `runSoon` jobs, expired timers and remote jobs,
//   until `stop()` (or `remote.stop()`); it can be called again afterwards.
// - One loop turn: wait (the timeout is the earliest timer deadline, zero when `runSoon` work is
//   queued), dispatch each readiness report to its handler, run the `runSoon` jobs queued before
//   this point, fire the timers that were due when the turn's clock was read, run remote jobs.
// - `register`/`modify`/`deregister` manage interest per descriptor. A handler is never called
//   for a report that belongs to an earlier registration of the same descriptor number.
// - `readBuffer` is one 64 KiB buffer shared by every connection of the loop: reads happen one at
//   a time on this thread, so no connection needs a receive buffer of its own.
//
// Why level-triggered epoll: the kernel keeps reporting a socket until it is drained, so a
// connection may read one buffer per turn (fairness across 10,000 sessions: one fast client
// cannot monopolise the thread), and resuming a paused reader needs no "read until EAGAIN now"
// catch-up that edge-triggering would require to avoid a lost edge. The price is an `epoll_ctl`
// when a connection pauses reading or starts/stops waiting for EPOLLOUT; both are rare events.
//
// Why the generation in the epoll data: a handler may close descriptor 12 while a report for 12
// is still in the current batch, and a new accept may reuse 12 before the batch is done. The
// report carries (fd, generation); a mismatch means "stale, drop it".
import Glibc

public final class EventLoop {
    private struct Registration {
        var handler: any ReadinessHandler
        var generation: UInt32
        var interest: IOEvents
    }

    /// Size of the shared read buffer, and so the most one connection reads per turn.
    public static let readBufferSize = 256 * 1024
    private static let maxEventsPerWait = 256
    private static let remoteTag = UInt64.max

    /// The thread-safe face of this loop.
    public let remote: EventLoopRemote
    /// Scratch space for `recv`; valid for the duration of one readiness callback.
    public let readBuffer: UnsafeMutableRawBufferPointer

    private let epollFD: Int32
    private let eventBuffer: UnsafeMutableRawPointer
    private var registrations: [Registration?] = []
    private var lastGeneration: UInt32 = 0
    private var timers = TimerQueue()
    private var soonJobs: [() -> Void] = []
    private var stopRequested = false

    /// Descriptors currently registered by handlers (the loop's own eventfd not counted).
    public private(set) var registrationCount = 0
    public private(set) var isRunning = false
    /// Loop turns (returns from epoll_wait) so far; tests use it to prove the loop is not spinning.
    public private(set) var turns: UInt64 = 0

    public init() throws(SocketError) {
        let fd = LinuxSystemCalls.epollCreate1(LinuxSystemCalls.closeOnExec)
        guard fd >= 0 else { throw SocketError.lastError("epoll_create1") }
        epollFD = fd
        do {
            remote = try EventLoopRemote()
        } catch {
            Socket.close(fd)
            throw error
        }
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        eventBuffer = .allocate(byteCount: Self.maxEventsPerWait * LinuxSystemCalls.epollEventSize, alignment: 16)
        if control(LinuxSystemCalls.EPOLL_CTL_ADD, remote.wakeFD, events: .readable, data: Self.remoteTag) != 0 {
            preconditionFailure("epoll_ctl on a fresh eventfd failed: \(SocketError.lastError("epoll_ctl"))")
        }
    }

    deinit {
        Socket.close(epollFD)
        readBuffer.deallocate()
        eventBuffer.deallocate()
    }

    // MARK: Running

    /// Serves events until `stop()`; must be called on the thread that owns the loop's objects.
    public func run() {
        precondition(!isRunning, "EventLoop.run() re-entered")
        isRunning = true
        stopRequested = false
        remote.claimCurrentThread()
        defer { isRunning = false }
        while !stopRequested {
            let ready = LinuxSystemCalls.epollWait(epollFD, eventBuffer, Int32(Self.maxEventsPerWait), waitTimeoutMilliseconds())
            turns &+= 1
            if ready < 0 {
                guard errno == EINTR else { fatalError("\(SocketError.lastError("epoll_wait"))") }
            }
            for index in 0..<max(0, Int(ready)) {
                dispatch(eventAt: index)
            }
            runSoonJobs()
            fireDueTimers()
        }
    }

    /// Makes `run()` return at the end of the current turn. Loop thread only; see `remote.stop()`.
    public func stop() {
        stopRequested = true
    }

    /// Runs `job` on this thread after the current event has been handled, before the next wait.
    ///
    /// Why: lets a connection report a failure found inside a caller's `write` without calling
    /// the caller back in the middle of its own statement.
    public func runSoon(_ job: @escaping () -> Void) {
        soonJobs.append(job)
    }

    /// Shorthand for `remote.execute`.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        remote.execute(job)
    }

    // MARK: Timers

    public func now() -> MonotonicClock.Instant {
        MonotonicClock.now()
    }

    /// Calls `action` on the loop thread once `delay` has passed (negative delays count as zero).
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerHandle {
        schedule(at: now().advanced(by: max(delay, .zero)), action)
    }

    @discardableResult
    public func schedule(at deadline: MonotonicClock.Instant, _ action: @escaping () -> Void) -> TimerHandle {
        timers.schedule(at: deadline, action)
    }

    /// Cancels a pending timer: its action will not run. Returns false if it already ran or was cancelled.
    @discardableResult
    public func cancel(_ timer: TimerHandle) -> Bool {
        timers.cancel(timer)
    }

    public var pendingTimerCount: Int { timers.count }

    // MARK: Registration

    /// Starts reporting `interest` (and hangup/error) on `fd` to `handler`.
    public func register(_ fd: Int32, interest: IOEvents, handler: any ReadinessHandler) throws(SocketError) {
        precondition(fd >= 0)
        lastGeneration = lastGeneration &+ 1
        let data = UInt64(UInt32(fd)) | UInt64(lastGeneration) << 32
        guard control(LinuxSystemCalls.EPOLL_CTL_ADD, fd, events: interest, data: data) == 0 else {
            throw SocketError.lastError("epoll_ctl")
        }
        let slot = Int(fd)
        if slot >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: slot + 1 - registrations.count))
        }
        precondition(registrations[slot] == nil, "descriptor \(fd) registered twice")
        registrations[slot] = Registration(handler: handler, generation: lastGeneration, interest: interest)
        registrationCount += 1
    }

    /// Changes the interest of a registered `fd`; a no-op when unchanged.
    public func modify(_ fd: Int32, interest: IOEvents) throws(SocketError) {
        let slot = Int(fd)
        guard slot < registrations.count, var registration = registrations[slot] else {
            preconditionFailure("modify of unregistered descriptor \(fd)")
        }
        guard registration.interest != interest else { return }
        let data = UInt64(UInt32(fd)) | UInt64(registration.generation) << 32
        guard control(LinuxSystemCalls.EPOLL_CTL_MOD, fd, events: interest, data: data) == 0 else {
            throw SocketError.lastError("epoll_ctl")
        }
        registration.interest = interest
        registrations[slot] = registration
    }

    /// Stops reporting on `fd` and releases the handler. Call before closing the descriptor.
    /// `closing`: the caller closes `fd` right after, which removes it from the epoll set by
    /// itself (the descriptor is never duplicated), so the `EPOLL_CTL_DEL` system call is saved;
    /// an event already fetched for it is dropped by its registration number.
    public func deregister(_ fd: Int32, closing: Bool = false) {
        let slot = Int(fd)
        guard slot < registrations.count, registrations[slot] != nil else { return }
        if !closing { _ = control(LinuxSystemCalls.EPOLL_CTL_DEL, fd, events: [], data: 0) }
        registrations[slot] = nil
        registrationCount -= 1
    }

    // MARK: Turn internals

    private func control(_ operation: Int32, _ fd: Int32, events: IOEvents, data: UInt64) -> Int32 {
        var event = (UInt64(0), UInt64(0))  // 16 bytes: room for either epoll_event layout
        return withUnsafeMutableBytes(of: &event) { raw in
            raw.storeBytes(of: events.rawValue, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: data, toByteOffset: LinuxSystemCalls.epollEventDataOffset, as: UInt64.self)
            return LinuxSystemCalls.epollCtl(epollFD, operation, fd, raw.baseAddress)
        }
    }

    private func dispatch(eventAt index: Int) {
        let base = eventBuffer + index * LinuxSystemCalls.epollEventSize
        let events = IOEvents(rawValue: base.loadUnaligned(as: UInt32.self))
        let data = base.loadUnaligned(fromByteOffset: LinuxSystemCalls.epollEventDataOffset, as: UInt64.self)
        if data == Self.remoteTag {
            runRemoteJobs()
            return
        }
        let slot = Int(UInt32(truncatingIfNeeded: data))
        let generation = UInt32(truncatingIfNeeded: data >> 32)
        guard slot < registrations.count, let registration = registrations[slot],
              registration.generation == generation else { return }  // stale report
        registration.handler.handleReadiness(events)
    }

    private func runSoonJobs() {
        guard !soonJobs.isEmpty else { return }
        let jobs = soonJobs
        soonJobs = []
        for job in jobs { job() }
    }

    private func fireDueTimers() {
        guard let first = timers.nextDeadline else { return }
        let now = now()
        guard first <= now else { return }
        let limit = timers.nextID
        while let action = timers.popExpired(now: now, firingBefore: limit) {
            action()
        }
    }

    private func runRemoteJobs() {
        let inbox = remote.takeInbox()
        for job in inbox.jobs { job() }
        if inbox.stop { stopRequested = true }
    }

    private func waitTimeoutMilliseconds() -> Int32 {
        if !soonJobs.isEmpty { return 0 }
        guard let deadline = timers.nextDeadline else { return -1 }
        let now = now()
        guard deadline > now else { return 0 }
        let nanoseconds = deadline.nanoseconds - now.nanoseconds
        let milliseconds = (nanoseconds + 999_999) / 1_000_000  // round up: never wake early and spin
        return Int32(clamping: milliseconds)
    }
}
