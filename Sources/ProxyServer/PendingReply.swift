import DecisionLog
import SMTPProtocol

/// A reply owed to the client, in command order: written by relayguard or awaited from the
/// backend. Replies leave the queue strictly from the front, so a tarpitted refusal holds
/// back the replies to everything pipelined after it (SPEC section 5).
struct PendingReply {
    enum Source: Equatable {
        /// Written by relayguard.
        case local(Reply)
        /// Forwarded; the backend's reply has not come yet.
        case awaitingBackend
        /// The backend's reply (as it will be written: filtered, or replaced by a limit).
        case backend(Reply)
    }

    /// What the reply answers, for the decision log and the state it changes.
    enum Answering: Equatable {
        case helo(extended: Bool, name: String)
        case mail(sender: String)
        case recipient(address: String, reason: Reason)
        case data
        case endOfMessage
        case reset
        case noop
        case quit
        /// STARTTLS, answered by relayguard; writing the reply starts the handshake.
        case startTLS
        /// AUTH or one SASL response, passed through to the backend.
        case auth
        /// The RSET relayguard sends the backend after STARTTLS; its reply is not written.
        case internalReset
        /// A command relayguard answered itself.
        case local
    }

    var source: Source
    var answering: Answering
    /// Tarpit delay before this reply is written.
    var tarpit: Duration = .zero
    /// Writing this reply ends the session, for this reason.
    var endsSession: Reason?
    /// Writing this reply blocks the client's address (harvest defence).
    var blocksClient = false

    var isAwaitingBackend: Bool { source == .awaitingBackend }

    /// A MAIL whose reply has not come: a transaction may be opening.
    var isAwaitingMail: Bool {
        guard isAwaitingBackend, case .mail = answering else { return false }
        return true
    }
}
