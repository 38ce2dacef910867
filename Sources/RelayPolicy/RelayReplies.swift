import SMTPProtocol

/// Every reply the relay decision writes, in one place, so their wording stays consistent
/// and the unknown-user text is the same for every address and domain (relayguard.conf(5), tarpit and harvest keys).
public enum RelayReplies {
    public static let badRecipientSyntax = Reply(501, "5.1.3", "Bad recipient address syntax")
    public static func unqualified(_ address: String) -> Reply {
        Reply(550, "5.7.1", "<\(address)>: Recipient address must contain a domain")
    }
    public static func senderRouting(_ address: String) -> Reply {
        Reply(550, "5.7.1", "<\(address)>: Sender-specified routing is not allowed")
    }
    /// The refusal of every RCPT of an early talker (`pregreet_action = reject`).
    public static let protocolError = Reply(550, "5.5.1", "Protocol error")
    public static func dnsblListed(zones: [String]) -> Reply {
        Reply(554, "5.7.1", "Service unavailable; client blocked using \(zones.joined(separator: ", "))")
    }
    public static func unknownUser(_ address: String) -> Reply {
        Reply(550, "5.1.1", "<\(address)>: Recipient address rejected: User unknown")
    }
    public static func relayDenied(_ address: String) -> Reply {
        Reply(550, "5.7.1", "Unable to relay for <\(address)>")
    }
    public static let tooManyRecipients = Reply(452, "4.5.3", "Too many recipients")
    public static let tooManyInvalidRecipients = Reply(421, "4.7.0", "Too many invalid recipients")
    public static let tooManyErrors = Reply(421, "4.7.0", "Too many errors")
}
