/// The whole audit: which server, with which names, and every case's result.
///
/// `exitStatus` is the command's (SPEC section 2): 1 when a relay attempt was accepted, and
/// also when a case stayed inconclusive (the audit could not show the server refuses relay);
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
    public var inconclusive: Int { results.count { $0.verdict == .inconclusive } }

    /// `N passed, M failed`, with `, K inconclusive` when there are such cases.
    public var summaryLine: String {
        let inconclusive = inconclusive
        return "\(passed) passed, \(failed) failed" + (inconclusive > 0 ? ", \(inconclusive) inconclusive" : "")
    }

    public var exitStatus: Int32 { failed == 0 && inconclusive == 0 ? 0 : 1 }
}
