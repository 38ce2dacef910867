// MonotonicClock: the one clock the event loop reads.
//
// Contract: `MonotonicClock.now()` reads CLOCK_MONOTONIC (never jumps with wall-clock changes);
// `Instant` is a nanosecond count since an arbitrary boot-time origin, ordered and comparable,
// and conforms to `InstantProtocol` so deadlines compose with `Duration`.
//
// Why not `ContinuousClock`: on Linux it reads CLOCK_BOOTTIME, and the pure modules want a plain
// value they can compare and build in tests (`Instant(nanoseconds:)`) without any clock at all.
import Glibc

public enum MonotonicClock {
    /// A point on the monotonic clock, in nanoseconds.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        public var nanoseconds: UInt64

        public init(nanoseconds: UInt64) {
            self.nanoseconds = nanoseconds
        }

        /// Saturates at zero and at `UInt64.max` rather than trapping.
        public func advanced(by duration: Duration) -> Instant {
            let delta = duration.nanosecondsClamped
            if delta >= 0 {
                let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(delta))
                return Instant(nanoseconds: overflow ? .max : sum)
            }
            let magnitude = delta.magnitude
            return Instant(nanoseconds: nanoseconds > magnitude ? nanoseconds - magnitude : 0)
        }

        public func duration(to other: Instant) -> Duration {
            if other.nanoseconds >= nanoseconds {
                return .nanoseconds(Int64(clamping: other.nanoseconds - nanoseconds))
            }
            return .nanoseconds(-Int64(clamping: nanoseconds - other.nanoseconds))
        }

        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.nanoseconds < rhs.nanoseconds
        }

        public var description: String { "\(nanoseconds)ns" }
    }

    /// Reads CLOCK_MONOTONIC.
    public static func now() -> Instant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Instant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to the Int64 range.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}
