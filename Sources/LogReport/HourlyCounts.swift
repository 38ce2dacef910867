/// Sessions opened (`connect` records) and messages accepted (`message` records with decision
/// `accept`) in one UTC hour.
public struct HourlyCounts: Sendable, Equatable {
    public var sessions = 0
    public var messages = 0

    public init(sessions: Int = 0, messages: Int = 0) {
        self.sessions = sessions
        self.messages = messages
    }
}
