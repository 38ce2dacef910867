// EventLoopRemote: the only part of an event loop other threads may touch.
//
// Contract: `execute(_:)` queues a job and wakes the loop through an eventfd; jobs run on the loop
// thread, in the order queued, at the end of a loop turn. `stop()` makes the loop's `run()`
// return after its current turn. Both may be called from any thread, before or during `run()`.
// The remote owns the eventfd and closes it when the last reference goes, so a late `execute`
// from another thread never writes into a recycled descriptor.
//
// Why a separate type: the loop itself is deliberately not `Sendable` (everything it owns lives on
// its thread); this small, immutable-plus-Mutex object is what crosses threads, checked by the
// compiler without `@unchecked`.
import Glibc
import Synchronization

public final class EventLoopRemote: Sendable {
    private struct Inbox {
        var jobs: [@Sendable () -> Void] = []
        var stopRequested = false
    }

    let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    /// pthread_self() of the thread that owns the loop (creator, then the one calling `run()`).
    private let ownerThread = Atomic<UInt>(0)

    init() throws(SocketError) {
        let fd = LinuxSystemCalls.eventFD(0, LinuxSystemCalls.nonBlocking | LinuxSystemCalls.closeOnExec)
        guard fd >= 0 else { throw SocketError.lastError("eventfd") }
        wakeFD = fd
        claimCurrentThread()
    }

    deinit {
        Socket.close(wakeFD)
    }

    /// Runs `job` on the loop thread soon. Safe from any thread.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        let wasEmpty = inbox.withLock { inbox in
            inbox.jobs.append(job)
            return inbox.jobs.count == 1 && !inbox.stopRequested
        }
        if wasEmpty { wake() }
    }

    /// Makes the loop's `run()` return. Safe from any thread.
    public func stop() {
        inbox.withLock { $0.stopRequested = true }
        wake()
    }

    /// True on the thread that owns the loop.
    public var isLoopThread: Bool {
        ownerThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    func claimCurrentThread() {
        ownerThread.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Empties the eventfd counter and takes the queued jobs and the stop request.
    func takeInbox() -> (jobs: [@Sendable () -> Void], stop: Bool) {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, MemoryLayout<UInt64>.size)
        return inbox.withLock { inbox in
            defer { inbox = Inbox() }
            return (inbox.jobs, inbox.stopRequested)
        }
    }

    private func wake() {
        var one: UInt64 = 1
        // EAGAIN means the counter is already nonzero: the loop will wake anyway.
        _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
    }
}
