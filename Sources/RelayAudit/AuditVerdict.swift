/// The judgement on one audit case (relayguard(8), audit).
public enum AuditVerdict: String, Sendable, Equatable, CaseIterable {
    /// The relay attempt was refused: a 4xx or 5xx to the RCPT (other than 421, the server
    /// closing), or a 4xx or 5xx to the case's own RSET or MAIL (this envelope cannot be sent).
    case pass
    /// The server accepted a relay recipient with a 2xx: an open relay.
    case fail
    /// The case was cut off before its RCPT was judged: a 421 (the server closing, a harvest
    /// block), a refused connection or greeting, a closed connection, no reply within the
    /// timeout, or a reply that is neither acceptance nor refusal (3xx).
    ///
    /// Why not a pass: a server that blocks the auditor as a harvester after ten refusals has
    /// not shown that it refuses the remaining fifteen relay forms; an audit that could not see
    /// the refusal must not report the server clean.
    case untested

    /// Judges what the server did.
    public init(judging outcome: AuditOutcome) {
        switch outcome {
        case .answered(let code, _):
            switch code / 100 {
            case 2: self = .fail
            case 4, 5: self = code == 421 ? .untested : .pass
            default: self = .untested
            }
        case .refusedBefore(let stage, let code, _):
            switch stage {
            case .rset, .mail: self = code == 421 ? .untested : .pass
            case .connect, .helo, .rcpt: self = .untested
            }
        case .closedBefore, .noReply, .unreachable:
            self = .untested
        }
    }

    /// The word in the table: `pass`, `FAIL`, `untested`.
    public var label: String {
        switch self {
        case .pass: "pass"
        case .fail: "FAIL"
        case .untested: "untested"
        }
    }
}
