import SMTPProtocol

/// What waiting for one reply from the audited server gave.
enum SMTPClientReply {
    case reply(Reply)
    /// The server closed the connection (or reset it) before a complete reply.
    case closed
    /// No complete reply within the timeout.
    case timedOut
    /// Bytes that are not an SMTP reply.
    case unreadable(String)
}

extension Reply {
    /// The reply after its code, as the audit prints it: `5.7.1 <a@b>: Relay access denied`.
    var auditText: String {
        let text = lines.joined(separator: " ")
        guard let enhanced else { return text }
        return text.isEmpty ? enhanced : "\(enhanced) \(text)"
    }
}
