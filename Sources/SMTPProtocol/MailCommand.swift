/// `MAIL FROM:<reverse-path> [parameters]`, parsed.
public struct MailCommand: Equatable, Hashable, Sendable {
    /// The envelope sender: `<>` or a mailbox (possibly a bare local part such as `<localuser>`).
    public var reversePath: ReversePath
    /// The ESMTP parameters after the path.
    public var parameters: MailParameters

    public init(reversePath: ReversePath, parameters: MailParameters = MailParameters()) {
        self.reversePath = reversePath
        self.parameters = parameters
    }
}
