// TimerQueue: pending timers ordered by deadline, with O(log n) cancellation.
//
// Contract: `schedule(at:_:)` returns a handle; `cancel(_:)` removes the timer so its action is
// never returned; `popExpired(now:firingBefore:)` hands out, one at a time, the earliest timer
// whose deadline is at or before `now`. Timers with equal deadlines come out in scheduling order.
// The queue reads no clock: the event loop passes `now`, so tests drive it with plain instants.
//
// Why a binary min-heap with an index: a tarpit keeps one timer per session (10,000 and more),
// and idle timeouts are cancelled and rescheduled on every command. A heap gives O(log n)
// insert and pop; the id-to-slot dictionary makes cancel O(log n) and frees the closure at once
// (lazy cancellation would keep every cancelled idle timer's closure alive until its deadline).
public struct TimerQueue {
    struct Entry {
        var deadline: MonotonicClock.Instant
        var id: UInt64
        var action: () -> Void

        func firesBefore(_ other: Entry) -> Bool {
            deadline == other.deadline ? id < other.id : deadline < other.deadline
        }
    }

    private var heap: [Entry] = []
    private var slotByID: [UInt64: Int] = [:]
    private var lastID: UInt64 = 0

    public init() {}

    /// Number of pending (scheduled, not fired, not cancelled) timers.
    public var count: Int { heap.count }

    /// The earliest pending deadline, if any.
    public var nextDeadline: MonotonicClock.Instant? { heap.first?.deadline }

    /// A bound for `popExpired`: timers scheduled from now on get ids at or above it.
    ///
    /// Why: the loop takes this before firing a batch, so a timer that reschedules itself with
    /// zero delay waits for the next loop turn instead of starving sockets.
    public var nextID: UInt64 { lastID + 1 }

    public mutating func schedule(at deadline: MonotonicClock.Instant, _ action: @escaping () -> Void) -> TimerHandle {
        lastID += 1
        heap.append(Entry(deadline: deadline, id: lastID, action: action))
        slotByID[lastID] = heap.count - 1
        siftUp(heap.count - 1)
        return TimerHandle(id: lastID)
    }

    /// Returns true when the timer was pending and is now removed.
    @discardableResult
    public mutating func cancel(_ handle: TimerHandle) -> Bool {
        guard let slot = slotByID.removeValue(forKey: handle.id) else { return false }
        let last = heap.count - 1
        if slot != last {
            heap.swapAt(slot, last)
            slotByID[heap[slot].id] = slot
        }
        heap.removeLast()
        if slot < heap.count {
            siftDown(slot)
            siftUp(slot)
        }
        if heap.isEmpty, heap.capacity > 1024 {  // give the storage back after a burst
            heap = []
            slotByID = [:]
        }
        return true
    }

    /// Removes and returns the earliest timer with deadline <= now and id < `firingBefore`.
    public mutating func popExpired(now: MonotonicClock.Instant, firingBefore limit: UInt64 = .max) -> (() -> Void)? {
        guard let first = heap.first, first.deadline <= now, first.id < limit else { return nil }
        let action = first.action
        cancel(TimerHandle(id: first.id))
        return action
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].firesBefore(heap[parent]) else { return }
            swapSlots(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            let right = left + 1
            if right < heap.count, heap[right].firesBefore(heap[left]) { smallest = right }
            guard heap[smallest].firesBefore(heap[parent]) else { return }
            swapSlots(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapSlots(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        slotByID[heap[a].id] = a
        slotByID[heap[b].id] = b
    }
}

public struct TimerHandle: Hashable, Sendable {
    /// Also the scheduling order: among timers with the same deadline the lower id fires first.
    let id: UInt64
}
