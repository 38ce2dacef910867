/// Refused RCPTs counted per client across its sessions, for `client_refusal_limit` within
/// `client_refusal_window` (relayguard.conf(5), tarpit and harvest keys). Clients are `ClientKey`s: an IPv4 address, or an
/// IPv6 network of `client_ipv6_prefix` bits.
///
/// Counting: a client's first refusal opens its window, which lasts `window`; refusals inside
/// it add up; the first refusal after it has closed opens a new window at one. The refusal
/// that brings the count to `limit` answers `.limitReached` and the client's count is dropped:
/// the caller blocks it (`HarvestBlockTable`), and after the block it starts again from zero.
///
/// Why a window that opens at the first refusal (and not a sliding one): it needs one count
/// and one instant per client instead of one instant per refusal, and it is exactly what a
/// shared store does with an expiring counter, so a fleet counts the same way.
///
/// Memory is bounded: at most `capacity` clients are held. A new client beyond that evicts
/// the one whose window opened longest ago (the count closest to expiring anyway), in O(1).
/// Per client the table holds one dictionary entry and one slot in an opening-order queue;
/// stale slots (windows reopened or dropped) are skipped and compacted away, so the queue
/// never holds more than `2 × capacity + 1` slots. Per client: a 24-byte key and a 24-byte
/// entry in a hash table at most 75% full, and one or two 32-byte slots (`storageBytes`).
/// Measured with a million distinct clients through the default capacity of 100,000: at most
/// about 22 MB of storage, 21 MB more resident memory, however many addresses churn.
///
/// Time is injected: every method takes `now`, so tests drive it with a manual clock.
public struct ClientRefusalTable<Instant: InstantProtocol>: Sendable where Instant.Duration == Swift.Duration, Instant: Sendable {
    /// Refusals within `window` that block a client (at least 1). A reload may change it.
    public var limit: Int
    /// How long a window stays open after a client's first refusal. A reload may change it;
    /// windows already open keep their start.
    public var window: Swift.Duration
    /// The most clients held at once.
    public let capacity: Int

    private struct Entry: Sendable {
        var opened: Instant
        var count: Int
        /// Matches the entry's slot in `openings`; a slot with another serial is stale.
        var serial: UInt64
    }

    private struct Slot: Sendable {
        var key: ClientKey
        var serial: UInt64
    }

    private var entries: [ClientKey: Entry] = [:]
    /// Window openings, oldest first, from `head` on.
    private var openings: [Slot] = []
    private var head = 0
    private var nextSerial: UInt64 = 0

    /// What one refusal did.
    public enum Verdict: Sendable, Equatable {
        /// Counted; `count` refusals in the client's current window so far (below `limit`).
        case counted(Int)
        /// This refusal reached `limit`: block the client now.
        case limitReached
    }

    public init(limit: Int, window: Swift.Duration, capacity: Int = 100_000) {
        precondition(limit > 0 && capacity > 0)
        self.limit = limit
        self.window = window
        self.capacity = capacity
    }

    /// Clients held (windows already closed included until `prune` or eviction drops them).
    public var count: Int { entries.count }

    /// Queue slots held, live and stale: never more than `2 × capacity + 1`.
    public var queuedSlots: Int { openings.count - head }

    /// The bytes the table's storage takes, from the capacities it has allocated: the hash
    /// table's buckets (at most 75% full, so `capacity × 4/3` of them, each a key and an entry)
    /// and the queue's slots. What the allocator adds on top is not counted.
    public var storageBytes: Int {
        let buckets = entries.capacity * 4 / 3
        return buckets * (MemoryLayout<ClientKey>.stride + MemoryLayout<Entry>.stride)
            + openings.capacity * MemoryLayout<Slot>.stride
    }

    /// Counts one refused RCPT of `client` at `now`.
    public mutating func countRefusal(_ client: ClientKey, now: Instant) -> Verdict {
        if var entry = entries[client], isOpen(entry, now: now) {
            entry.count += 1
            if entry.count >= limit {
                entries.removeValue(forKey: client)
                return .limitReached
            }
            entries[client] = entry
            return .counted(entry.count)
        }
        // A new window.
        guard limit > 1 else {
            entries.removeValue(forKey: client)
            return .limitReached
        }
        if entries[client] == nil && entries.count >= capacity { evictOldest() }
        nextSerial += 1
        entries[client] = Entry(opened: now, count: 1, serial: nextSerial)
        openings.append(Slot(key: client, serial: nextSerial))
        compactIfNeeded()
        return .counted(1)
    }

    /// Refusals of `client` in its open window at `now` (0 when none is open).
    public func refusals(of client: ClientKey, now: Instant) -> Int {
        guard let entry = entries[client], isOpen(entry, now: now) else { return 0 }
        return entry.count
    }

    /// Forgets `client`'s count (an operator unblocked it).
    public mutating func forget(_ client: ClientKey) {
        entries.removeValue(forKey: client)
    }

    /// Forgets every count (`ctl unblock all`).
    public mutating func forgetAll() {
        entries.removeAll()
        openings.removeAll()
        head = 0
    }

    /// Drops the clients whose window has closed, oldest first; stops at the first open one.
    /// Cheap: it only looks at what it drops. Call it now and then (the proxy does, on a timer).
    public mutating func prune(now: Instant) {
        while head < openings.count {
            let slot = openings[head]
            if let entry = entries[slot.key], entry.serial == slot.serial {
                guard !isOpen(entry, now: now) else { break }
                entries.removeValue(forKey: slot.key)
            }
            head += 1
        }
        compactIfNeeded()
    }

    private func isOpen(_ entry: Entry, now: Instant) -> Bool {
        now < entry.opened.advanced(by: window)
    }

    /// Drops the live client whose window opened first.
    private mutating func evictOldest() {
        while head < openings.count {
            let slot = openings[head]
            head += 1
            if let entry = entries[slot.key], entry.serial == slot.serial {
                entries.removeValue(forKey: slot.key)
                return
            }
        }
    }

    /// Keeps the queue within `2 × capacity + 1` slots and its dead prefix small.
    private mutating func compactIfNeeded() {
        if openings.count - head > 2 * capacity {
            openings = openings[head...].filter { slot in entries[slot.key]?.serial == slot.serial }
            head = 0
        } else if head > 4096 && head * 2 > openings.count {
            openings.removeFirst(head)
            head = 0
        }
    }
}
