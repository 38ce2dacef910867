/// relayguard's exit statuses (SPEC section 2).
enum ExitStatus {
    static let success: Int32 = 0
    /// A problem found: bad configuration, open relay found.
    static let problem: Int32 = 1
    static let usage: Int32 = 2
}
