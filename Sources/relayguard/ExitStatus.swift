/// relayguard's exit statuses (relayguard(8), COMMANDS).
enum ExitStatus {
    static let success: Int32 = 0
    /// A problem found: bad configuration, open relay found.
    static let problem: Int32 = 1
    static let usage: Int32 = 2
}
