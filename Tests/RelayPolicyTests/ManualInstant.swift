import RelayPolicy

/// An instant that only moves when a test moves it: the injected clock of the
/// harvest block table's tests (no test sleeps).
struct ManualInstant: InstantProtocol, Sendable {
    var sinceStart: Duration

    static let start = ManualInstant(sinceStart: .zero)

    func advanced(by duration: Duration) -> ManualInstant { ManualInstant(sinceStart: sinceStart + duration) }
    func duration(to other: ManualInstant) -> Duration { other.sinceStart - sinceStart }
    static func < (lhs: ManualInstant, rhs: ManualInstant) -> Bool { lhs.sinceStart < rhs.sinceStart }
}
