/// The judgement on one audit case (SPEC section 8).
public enum AuditVerdict: String, Sendable, Equatable, CaseIterable {
    /// The relay attempt was refused: a 4xx or 5xx to the RCPT, or the server refused or closed
    /// the connection before it (a tarpit or a harvest block is a server doing its job).
    case pass
    /// The server accepted a relay recipient with a 2xx: an open relay.
    case fail
    /// Nothing could be learnt: no reply within the timeout, a reconnect failed, or the RCPT got
    /// a reply that is neither acceptance nor refusal (3xx).
    ///
    /// Why not a pass: an audit that could not see the refusal must not report the server clean.
    case inconclusive

    /// Judges what the server did.
    public init(judging outcome: AuditOutcome) {
        switch outcome {
        case .answered(let code, _):
            switch code / 100 {
            case 2: self = .fail
            case 4, 5: self = .pass
            default: self = .inconclusive
            }
        case .refusedBefore, .closedBefore:
            self = .pass
        case .noReply, .unreachable:
            self = .inconclusive
        }
    }

    /// The word in the table: `pass`, `FAIL`, `INCONCLUSIVE` (upper case for what needs a look).
    public var label: String {
        switch self {
        case .pass: "pass"
        case .fail: "FAIL"
        case .inconclusive: "INCONCLUSIVE"
        }
    }
}
