import DecisionLog

/// The timers a session asks its driver for; setting one replaces the previous of its kind.
public enum SessionTimer: Sendable, Hashable, CaseIterable {
    /// The tarpit delay before the reply at the head of the queue is written.
    case tarpit
    /// `command_timeout` (or `data_timeout` during a message) waiting for the client.
    case clientIdle
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
    /// Block the client's address for `harvest_block_time`.
    case blockClient
    /// Begin the TLS handshake with the client: everything written to the client before this
    /// action goes in plaintext, everything after it through TLS; bytes read from now on are
    /// TLS records.
    case startTLS
    /// Close the backend link now, without QUIT: an open transaction must never complete.
    case closeBackend
    /// Close the client connection once everything queued for it is written; the session ends.
    case closeClient
}
