/// `RCPT TO:<forward-path> [parameters]`, parsed.
public struct RecipientCommand: Equatable, Hashable, Sendable {
    /// The recipient; a bare local part (domain nil) such as `<postmaster>` is possible.
    public var forwardPath: Mailbox
    /// The ESMTP parameters after the path.
    public var parameters: RecipientParameters

    public init(forwardPath: Mailbox, parameters: RecipientParameters = RecipientParameters()) {
        self.forwardPath = forwardPath
        self.parameters = parameters
    }
}
