import EventIO

// SMTPProxy+LogBackpressure: new work waits while the decision log's writer is behind.
//
// Contract: when the writer has more than its high mark of records not yet written
// (`DecisionLogWriter.isBehind`), every listener is held (clients wait in the kernel's accept
// queue) and every session stops reading commands (`SessionDriver.logBackpressureChanged`;
// a message being received goes on, it makes no records until its end). When the writer is
// down to its low mark, listeners and sessions resume. Each episode is said once on stderr,
// at its start and at its end. No record is ever dropped: sessions already running still log
// what they decide (timeouts, disconnects), and those few records wait in the queue.
//
// Why stop taking work rather than drop records: the log is the administrator's evidence of
// what each client was told (relayguard(8), DECISION LOG); a flood must slow relayguard down, not blind it.
extension SMTPProxy {
    /// True while the decision log's writer is behind: sessions must not read commands.
    public var isLogBackpressured: Bool { logWriter.isBehind }

    func logWriterBehindChanged(_ behind: Bool) {
        let waiting = logWriter.unwrittenBytes
        if behind {
            for listener in listeners { listener.hold() }
            logWriter.writeOperationalLine(
                "relayguard: warning: decision log: the writer is behind (\(waiting / 1024) KiB not yet written); "
                    + "not accepting clients nor reading commands until it catches up")
        } else {
            for listener in listeners { listener.release() }
            logWriter.writeOperationalLine(
                "relayguard: info: decision log: the writer caught up (\(waiting / 1024) KiB left); accepting clients again")
        }
        for session in Array(sessions.values) { session.logBackpressureChanged() }
    }
}
