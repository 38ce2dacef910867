/// What happened to one audit case, as observed on the wire.
public enum AuditOutcome: Sendable, Equatable {
    /// The server answered the RCPT with this reply (`text` is the reply after the code, all lines
    /// joined with a space, enhanced status code included).
    case answered(code: Int, text: String)
    /// The server refused an earlier step (a new connection's greeting, EHLO, RSET or MAIL):
    /// the RCPT was never sent.
    case refusedBefore(AuditStage, code: Int, text: String)
    /// The server closed the connection before answering the RCPT.
    case closedBefore(AuditStage)
    /// No reply at this step within the per-reply timeout.
    case noReply(AuditStage, milliseconds: Int)
    /// The auditor could not talk to the server for this case (reconnect failed, a reply that is
    /// not SMTP): nothing was learnt.
    case unreachable(String)

    /// The reply code the case ended on, when the server sent one.
    public var code: Int? {
        switch self {
        case .answered(let code, _), .refusedBefore(_, let code, _): code
        case .closedBefore, .noReply, .unreachable: nil
        }
    }

    /// The reply as printed: `550 5.7.1 …` for the RCPT, `at MAIL: 553 …` for an earlier
    /// refusal, or what happened instead of a reply.
    public var replyDescription: String {
        switch self {
        case .answered(let code, let text):
            text.isEmpty ? "\(code)" : "\(code) \(text)"
        case .refusedBefore(let stage, let code, let text):
            text.isEmpty ? "at \(stage.label): \(code)" : "at \(stage.label): \(code) \(text)"
        case .closedBefore(let stage):
            "connection closed at \(stage.label)"
        case .noReply(let stage, let milliseconds):
            "no reply to \(stage.label) within " + (milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms")
        case .unreachable(let why):
            why
        }
    }
}
