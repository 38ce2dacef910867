/// A set that remembers only the last `capacity` keys inserted (first in, first out).
///
/// Used to count a session's DNSBL hits once even when several of its records carry them,
/// without remembering every session of a long log: the records of one session are close
/// together in the log, so a window of recent sessions is enough.
public struct RecentKeys: Sendable {
    public let capacity: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var next = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "RecentKeys needs room for one key")
        self.capacity = capacity
    }

    /// Inserts `key`; returns false when it was already remembered.
    public mutating func insert(_ key: String) -> Bool {
        guard !members.contains(key) else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        members.insert(key)
        return true
    }

    public func contains(_ key: String) -> Bool { members.contains(key) }
}
