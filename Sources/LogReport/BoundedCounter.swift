/// Exact counts per key for at most `capacity` distinct keys; occurrences of keys beyond that are
/// counted together in `overflow`.
///
/// Why a cap: the keys counted this way (reasons, DNSBL zones, hours) are few in any real log,
/// but the report must stay bounded in memory whatever a damaged or hostile file contains.
public struct BoundedCounter<Value: Sendable>: Sendable {
    public let capacity: Int
    public private(set) var values: [String: Value] = [:]
    /// Occurrences of keys that found no room.
    public private(set) var overflow = 0
    private let initial: Value

    public init(capacity: Int, initial: Value) {
        self.capacity = capacity
        self.initial = initial
    }

    /// Applies `change` to the value of `key`, creating it from `initial` if there is room;
    /// returns false when there was none (the occurrence went to `overflow`).
    @discardableResult
    public mutating func update(_ key: String, _ change: (inout Value) -> Void) -> Bool {
        if values[key] == nil {
            guard values.count < capacity else {
                overflow += 1
                return false
            }
            values[key] = initial
        }
        change(&values[key]!)
        return true
    }
}
