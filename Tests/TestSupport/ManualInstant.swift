/// A clock instant that moves only when a test says so: tables that expire entries (harvest
/// blocks, the DNSBL cache, refusal counts) are tested without waiting or sleeping.
public struct ManualInstant: InstantProtocol, Sendable {
    public var sinceStart: Duration

    public static let start = ManualInstant(sinceStart: .zero)

    public init(sinceStart: Duration) {
        self.sinceStart = sinceStart
    }

    public func advanced(by duration: Duration) -> ManualInstant { ManualInstant(sinceStart: sinceStart + duration) }
    public func duration(to other: ManualInstant) -> Duration { other.sinceStart - sinceStart }
    public static func < (lhs: ManualInstant, rhs: ManualInstant) -> Bool { lhs.sinceStart < rhs.sinceStart }
}
