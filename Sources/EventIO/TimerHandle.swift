// TimerHandle: names one scheduled timer so it can be cancelled.
//
// Contract: handles are unique for the life of their `TimerQueue` (a counter, never reused),
// so cancelling a handle whose timer already fired or was cancelled is a harmless no-op.
public struct TimerHandle: Hashable, Sendable {
    /// Also the scheduling order: among timers with the same deadline the lower id fires first.
    let id: UInt64
}
