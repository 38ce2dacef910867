/// The time span a report covers (`--since` / `--until`): records whose `ts` is at or after
/// `since` and before `until` are counted, the others skipped (and counted as skipped).
///
/// Why `until` is exclusive: `--since 2026-12-03 --until 2026-12-04` is then exactly one day,
/// and consecutive windows never count a record twice.
public struct ReportWindow: Sendable, Equatable {
    /// Milliseconds since the epoch (`ReportTime`), or nil for no lower bound.
    public var since: Int?
    /// Milliseconds since the epoch, or nil for no upper bound.
    public var until: Int?

    public init(since: Int? = nil, until: Int? = nil) {
        self.since = since
        self.until = until
    }

    /// No bound at all: every record counts, whatever its `ts`.
    public var isUnbounded: Bool { since == nil && until == nil }

    /// Whether a record at `instant` is inside the window.
    public func contains(_ instant: Int) -> Bool {
        if let since, instant < since { return false }
        if let until, instant >= until { return false }
        return true
    }

    /// `2026-12-03T00:00:00.000Z to 2026-12-04T00:00:00.000Z`, `since ...`, `until ...`, or
    /// `all records`.
    public var description: String {
        switch (since, until) {
        case let (since?, until?): "\(ReportTime.format(since)) to \(ReportTime.format(until))"
        case let (since?, nil): "since \(ReportTime.format(since))"
        case let (nil, until?): "until \(ReportTime.format(until))"
        case (nil, nil): "all records"
        }
    }
}
