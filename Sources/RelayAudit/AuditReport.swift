/// The whole audit: which server, with which names, and every case's result.
///
/// `exitStatus` is the command's (relayguard(8), COMMANDS): 1 when a relay attempt was accepted, and
/// also when a case went untested (the audit could not show the server refuses relay);
/// 0 when every case passed.
public struct AuditReport: Sendable, Equatable {
    /// `HOST:PORT` as audited, e.g. `mx.example.org:25` or `[2001:db8::25]:25`.
    public var target: String
    public var site: AuditSite
    public var results: [AuditResult]

    public init(target: String, site: AuditSite, results: [AuditResult]) {
        self.target = target
        self.site = site
        self.results = results
    }

    public var passed: Int { results.count { $0.verdict == .pass } }
    public var failed: Int { results.count { $0.verdict == .fail } }
    public var untested: Int { results.count { $0.verdict == .untested } }

    /// `N passed, M failed`, with `, K untested` when there are such cases.
    public var summaryLine: String {
        let untested = untested
        return "\(passed) passed, \(failed) failed" + (untested > 0 ? ", \(untested) untested" : "")
    }

    public var exitStatus: Int32 { failed == 0 && untested == 0 ? 0 : 1 }

    /// For stderr when cases went untested: how many, and what cut the first of them off.
    public var untestedHint: String? {
        guard let first = results.first(where: { $0.verdict == .untested }) else { return nil }
        return "\(untested) of \(results.count) cases untested: from case \(first.auditCase.name) on, "
            + "the server cut the audit off (\(first.outcome.replyDescription)); if it blocked the auditor "
            + "as a harvester, audit again once the block has expired, or from another address (--source ADDR)"
    }
}
