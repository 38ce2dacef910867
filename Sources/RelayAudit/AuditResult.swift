/// One case with what happened to it and the verdict.
public struct AuditResult: Sendable, Equatable {
    public var auditCase: AuditCase
    public var outcome: AuditOutcome

    public init(auditCase: AuditCase, outcome: AuditOutcome) {
        self.auditCase = auditCase
        self.outcome = outcome
    }

    public var verdict: AuditVerdict { AuditVerdict(judging: outcome) }
}
