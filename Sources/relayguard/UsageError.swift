/// A command line that cannot be run as written (exit 2); `message` follows `relayguard: `.
struct UsageError: Error, Sendable {
    var message: String
}
