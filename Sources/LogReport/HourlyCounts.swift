/// What happened in one UTC hour: sessions opened (`connect` records), messages accepted
/// (`message` records with decision `accept`), decisions per reason and the tarpit time held.
public struct HourlyCounts: Sendable, Equatable {
    public var sessions = 0
    public var messages = 0
    /// Records with a `decision`, per `reason` (`(none)` when absent; `(other)` for reasons
    /// beyond the summary's cap on distinct reasons).
    public var decisions: [String: Int] = [:]
    /// The sum of `tarpit_ms` of the hour's records.
    public var tarpitMilliseconds = 0

    public init(sessions: Int = 0, messages: Int = 0, decisions: [String: Int] = [:], tarpitMilliseconds: Int = 0) {
        self.sessions = sessions
        self.messages = messages
        self.decisions = decisions
        self.tarpitMilliseconds = tarpitMilliseconds
    }

    /// Whether the hour had a session or an accepted message (the hours the text and JSON
    /// reports list).
    public var hasSessionsOrMessages: Bool { sessions > 0 || messages > 0 }
}
