/// The ESMTP parameters relayguard accepts on `RCPT TO` (RFC 3461 DSN), each checked for syntax.
public struct RecipientParameters: Equatable, Hashable, Sendable {
    /// `NOTIFY=`: `NEVER`, or a list of `SUCCESS`, `FAILURE`, `DELAY`.
    public enum Notify: Hashable, Sendable {
        case never
        case on(success: Bool, failure: Bool, delay: Bool)
    }

    /// `ORCPT=addr-type;xtext`: the original recipient.
    public struct OriginalRecipient: Hashable, Sendable {
        /// The address type, e.g. `rfc822` or `utf-8`, as sent.
        public var addressType: String
        /// The address, xtext as sent.
        public var address: String

        public init(addressType: String, address: String) {
            self.addressType = addressType
            self.address = address
        }
    }

    public var notify: Notify?
    public var originalRecipient: OriginalRecipient?

    public init(notify: Notify? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}
