import DecisionLog

/// The timers a session asks its driver for; setting one replaces the previous of its kind.
public enum SessionTimer: Sendable, Hashable, CaseIterable {
    /// The tarpit delay before the reply at the head of the queue is written.
    case tarpit
    /// The client's deadline: `command_timeout` for a whole command line from the moment the
    /// session waits for it (a trickle of bytes does not extend it), `data_timeout` during a
    /// message.
    case clientDeadline
    /// Waiting for the backend's reply to a forwarded command.
    case backendReply
}

/// What the session machine asks its I/O driver to do, in order.
public enum SessionAction: Sendable, Equatable {
    /// Write these bytes to the client.
    case sendToClient([UInt8])
    /// Write these bytes to the backend.
    case sendToBackend([UInt8])
    /// Start (or restart) a timer.
    case setTimer(SessionTimer, Duration)
    /// Stop a timer if it runs.
    case cancelTimer(SessionTimer)
    /// Write a decision record; the driver stamps its time (and a disconnect's duration).
    case log(DecisionRecord)
    /// A RCPT of an untrusted client was refused: count it for the client across sessions
    /// (`client_refusal_limit`). When that count reaches its limit the driver calls
    /// `SessionMachine.clientRefusalLimitReached()`.
    case countRefusal
    /// Block the client's address for `harvest_block_time`.
    case blockClient
    /// The session has more input it did not take this loop turn (fairness: no session holds
    /// the loop): call `SessionMachine.resume()` on the next turn.
    case resumeNextTurn
    /// Begin the TLS handshake with the client: everything written to the client before this
    /// action goes in plaintext, everything after it through TLS; bytes read from now on are
    /// TLS records.
    case startTLS
    /// Close the backend link now, without QUIT: an open transaction must never complete.
    case closeBackend
    /// Close the client connection once everything queued for it is written; the session
    /// ends. `abusive`: the session was ended for abuse (limits, not SMTP); a client that does
    /// not read its replies is then reset, so its unsent bytes are freed at once.
    case closeClient(abusive: Bool)
}
