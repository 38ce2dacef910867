/// One complete reply read from the backend MTA by `ReplyParser`.
public struct ParsedReply: Hashable, Sendable {
    /// The reply: code, enhanced status code (when the first line carries one) and text lines.
    public var reply: Reply
    /// The exact bytes received for this reply, all lines and line ends included,
    /// for forwarding to the client unchanged.
    public var raw: [UInt8]

    public init(reply: Reply, raw: [UInt8]) {
        self.reply = reply
        self.raw = raw
    }
}
