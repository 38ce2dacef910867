import DecisionLog
import SMTPProtocol

/// A reply owed to the client, in command order: written by relayguard or awaited from the
/// backend. Replies leave the queue strictly from the front, so a tarpitted refusal holds
/// back the replies to everything pipelined after it (relayguard.conf(5), tarpit and harvest keys).
struct PendingReply {
    enum Source: Equatable {
        /// Written by relayguard.
        case local(Reply)
        /// Forwarded; the backend's reply has not come yet.
        case awaitingBackend
        /// The backend's reply (as it will be written: filtered, or replaced by a limit).
        case backend(Reply)
    }

    /// What the reply answers: the state its reply changes, and its record.
    enum Answering: Equatable {
        case helo(extended: Bool, name: String)
        case mail(sender: String)
        case recipient(address: String, reason: Reason)
        case data
        /// The end of data, with the message's size for its record.
        case endOfMessage(bytes: Int)
        case reset
        case noop
        case quit
        /// STARTTLS, answered by relayguard; writing the reply starts the handshake.
        case startTLS
        /// AUTH or one SASL response, passed through to the backend.
        case auth
        /// The `*` relayguard sends the backend to cancel an exchange whose SASL line it
        /// refused; the client gets this reply (relayguard's refusal) in place of the backend's.
        case saslCancel(Reply)
        /// The RSET relayguard sends the backend after STARTTLS; its reply is not written.
        case internalReset
        /// A command relayguard answered itself.
        case local
    }

    var source: Source
    var answering: Answering
    /// Nothing after this command is read before its reply is written (RFC 2920 last in group,
    /// the end of a message, STARTTLS).
    var endsGroup = false
    /// Tarpit delay before this reply is written.
    var tarpit: Duration = .zero
    /// Writing this reply ends the session, for this reason.
    var endsSession: Reason?
    /// The session ends for abuse (a limit, not SMTP): a client that does not read is reset.
    var abusive = false

    var isAwaitingBackend: Bool { source == .awaitingBackend }

    static func local(_ reply: Reply, endsGroup: Bool = false, endsSession: Reason? = nil, abusive: Bool = false) -> PendingReply {
        PendingReply(source: .local(reply), answering: .local, endsGroup: endsGroup, endsSession: endsSession, abusive: abusive)
    }
}
