import RelayPolicy
import SMTPProtocol
import DNSBL

/// Where a session is, with the data that belongs to that place and nowhere else.
///
/// Why an enum with data rather than flags: a flag outlives the phase it was meant for (a
/// scanner left from the last message, a held greeting after the session opened); a case's
/// data cannot. What survives every phase (the dialogue, the limits) lives beside it in
/// `SessionMachine`.
enum SessionPhase {
    /// The backend has not greeted yet (after the identity header, or after XCLIENT), or its
    /// greeting is held for the DNSBL result.
    case awaitingGreeting(GreetingStage)
    /// Reading commands.
    case commands
    /// The backend answered AUTH with 334: the next client line is a SASL response, forwarded
    /// as it is, never read as a command.
    case saslResponse
    /// A 554 greeting was sent (DNSBL, reject-at-connect): only QUIT is left, nothing reaches
    /// the backend (there is no link).
    case onlyQuit
    /// Reading a message after the backend's 354.
    case message(MessageReception)
    /// After `220 Ready to start TLS`: the driver runs the handshake; nothing is read here.
    case tlsHandshake
    /// The session is over; nothing more is read or written.
    case closed
}

/// What the session waits for before it greets the client.
enum GreetingStage {
    /// The backend's 220 after the identity header (or after connecting, for `none`).
    case banner
    /// `xclient`: the banner came and XCLIENT was sent; waiting for the fresh 220.
    case xclientBanner
    /// `reject-at-connect`: the backend's greeting, held until the DNSBL result is known.
    case heldForDNSBL(Reply)
}

/// A message being received: the end-of-data scanner and what has gone wrong so far.
struct MessageReception {
    var scanner = DataScanner()
    /// The message was refused (bare newline): consume it, forward nothing more.
    var aborted = false
    /// A CR that ended the last chunk and is not forwarded yet: whether it is bare (a
    /// smuggling defect) is known only from the byte after it.
    var heldCR = false
}

/// The SMTP dialogue as the backend sees it: what it has accepted, never what was merely sent.
struct Dialogue {
    /// The name of the last HELO/EHLO the backend accepted; nil before, and after STARTTLS.
    var helo: String?
    var transaction: Transaction = .none
    /// The session is inside TLS terminated by relayguard. A fact of the connection, kept for
    /// its life: STARTTLS is answered once, AUTH is offered only inside.
    var inTLS = false
}

/// The mail transaction, in step with the backend.
///
/// Why `mailPending`: a MAIL is forwarded before its reply is known, and RCPTs may be
/// pipelined behind it. Until the backend accepts it, nothing is open: a refused MAIL leaves
/// the client free to send MAIL, STARTTLS or AUTH again. Commands whose legality depends on
/// the answer (MAIL, STARTTLS, AUTH) wait for it.
enum Transaction: Equatable {
    case none
    /// MAIL forwarded, the backend's reply not in yet.
    case mailPending(Envelope)
    /// The backend accepted MAIL.
    case open(Envelope)

    /// The sender as the log shows it, for records of this transaction.
    var sender: String? {
        switch self {
        case .none: nil
        case .mailPending(let envelope), .open(let envelope): envelope.sender
        }
    }

    /// RCPTs forwarded in this transaction (`max_recipients` counts these).
    var recipients: Int {
        switch self {
        case .none: 0
        case .mailPending(let envelope), .open(let envelope): envelope.recipients
        }
    }

    var isPending: Bool {
        if case .mailPending = self { return true }
        return false
    }
}

/// A transaction's sender and the RCPTs forwarded in it.
struct Envelope: Equatable {
    /// As sent, without angle brackets; `""` for the null sender.
    var sender: String
    var recipients = 0
}

/// The DNSBL lookup started at connect.
enum DNSBLLookup {
    /// No lists configured, or a trusted client.
    case notAsked
    case pending
    case resolved(DNSBLResult)

    var isPending: Bool {
        if case .pending = self { return true }
        return false
    }
}

/// The tarpit delay of the reply at the head of the queue.
enum TarpitClock {
    /// No delay running.
    case idle
    /// The timer runs.
    case running
    /// The timer fired: the head reply may be written.
    case released
}
