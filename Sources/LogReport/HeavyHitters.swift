/// The most frequent keys of a stream in bounded memory: the Space-Saving algorithm
/// (Metwally, Agrawal, El Abbadi 2005) with at most `capacity` counters.
///
/// While there are no more distinct keys than counters, every count is exact. After that a new
/// key takes over the counter of the least counted key and inherits its count: counts can then
/// be too high by at most `overcount` (never too low), and every key seen more than
/// total / capacity times is guaranteed to be present.
///
/// Why: a report over a gigabyte of log from a harvest attack may see millions of distinct
/// recipients; exact counting would need memory proportional to them. The counters sit in a
/// binary min-heap indexed by key, so each update costs O(log capacity).
public struct HeavyHitters: Sendable {
    /// One counted key.
    public struct Entry: Sendable, Equatable {
        public var key: String
        /// The counted occurrences (an upper bound once counters were taken over).
        public var count: Int
        /// How much of `count` may belong to keys this counter held before: the true count is
        /// between `count - overcount` and `count`. Zero while counting is exact.
        public var overcount: Int

        public init(key: String, count: Int, overcount: Int = 0) {
            self.key = key
            self.count = count
            self.overcount = overcount
        }
    }

    public let capacity: Int
    /// Occurrences added, in all.
    public private(set) var total = 0
    /// False once a counter was taken over by a new key: counts may be overestimated.
    public private(set) var isExact = true

    /// The counters, one slot each: its key, count and overcount. A counter keeps its slot when
    /// another key takes it over. Plain parallel arrays, so the heap compares bare integers.
    private var keys: [String] = []
    private var counts: [Int] = []
    private var overcounts: [Int] = []
    /// Which slot counts a key.
    private var slotOfKey: [String: Int] = [:]
    /// Slots in min-heap order of their count.
    private var heap: [Int] = []
    /// Where each slot is in `heap`.
    private var heapIndex: [Int] = []

    public init(capacity: Int) {
        precondition(capacity > 0, "HeavyHitters needs at least one counter")
        self.capacity = capacity
    }

    /// Number of keys currently counted.
    public var count: Int { keys.count }

    public mutating func add(_ key: String) {
        total += 1
        if let slot = slotOfKey[key] {
            counts[slot] += 1
            siftDown(heapIndex[slot])
            return
        }
        if keys.count < capacity {
            let slot = keys.count
            keys.append(key)
            counts.append(1)
            overcounts.append(0)
            slotOfKey[key] = slot
            heap.append(slot)
            heapIndex.append(heap.count - 1)
            siftUp(heap.count - 1)
            return
        }
        isExact = false
        let slot = heap[0]
        let evictedCount = counts[slot]
        slotOfKey[keys[slot]] = nil
        keys[slot] = key
        counts[slot] = evictedCount + 1
        overcounts[slot] = evictedCount
        slotOfKey[key] = slot
        siftDown(0)
    }

    /// The `limit` most counted keys, most counted first; ties in key order.
    public func top(_ limit: Int) -> [Entry] {
        let entries = keys.indices.map { slot in
            Entry(key: keys[slot], count: counts[slot], overcount: overcounts[slot])
        }
        return Array(entries.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }.prefix(limit))
    }

    // MARK: - Min-heap on count

    private func countAt(_ position: Int) -> Int { counts[heap[position]] }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard countAt(child) < countAt(parent) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && countAt(left) < countAt(smallest) { smallest = left }
            if right < heap.count && countAt(right) < countAt(smallest) { smallest = right }
            guard smallest != parent else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ first: Int, _ second: Int) {
        heap.swapAt(first, second)
        heapIndex[heap[first]] = first
        heapIndex[heap[second]] = second
    }
}
