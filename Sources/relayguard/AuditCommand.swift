#if canImport(Glibc)
import Glibc
#endif
import RelayAudit

/// `relayguard audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout T]`
/// (relayguard(8), COMMANDS and relayguard(8), audit): the open-relay audit of any SMTP server.
///
/// Prints the table (or with `--json` the JSON document) on stdout. Exit status:
/// - 0: every case passed (every relay attempt was refused);
/// - 1: a relay attempt was accepted (a case failed), or a case went untested (cut off before its
///   RCPT: a 421, a block, a closed connection, no reply in time), with a hint on stderr; also
///   when the server cannot be reached or refuses the auditor's first connection, with one line
///   `relayguard: audit: ...` on stderr and no table (`--json` still prints its document);
/// - 2: usage error.
enum AuditCommand {
    static let usage = "usage: relayguard audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout DURATION] [--source ADDR]"

    @Sendable static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            print("""
                  Connects to HOST (port 25 by default) like a stranger and tries to relay to the
                  external domain (default \(AuditSite.defaultExternalDomain)) with the relay article's seven tests
                  and the classic relay-test address forms: RSET, MAIL FROM, RCPT TO, never DATA.
                  --local-domain D     the server's own domain (default: guessed from its greeting)
                  --external-domain D  the foreign domain to relay to
                  --timeout DURATION   wait for each reply (default 60s; tarpits are slow)
                  --json               one JSON document instead of the table (always printed)
                  --source ADDR        connect from this local address
                  A case passes when its RCPT is refused, fails when a relay RCPT is accepted,
                  and is untested when the server cut it off before its RCPT (a 421, a block,
                  a closed connection). Progress goes to stderr (a line per case on a terminal).
                  Exit status: 0 all refused; 1 a relay was accepted, a case went untested,
                  or the server could not be audited; 2 usage error.
                  """)
            return ExitStatus.success
        }
        let options: AuditOptions
        do {
            options = try AuditOptions.parse(arguments)
        } catch {
            StandardError.line("relayguard: \(error.message)")
            StandardError.line(usage)
            return ExitStatus.usage
        }
        StandardError.line("relayguard: audit: auditing \(options.target)"
            + (isatty(2) == 1 ? "" : " (a line per case when stderr is a terminal)"))
        var source: [AuditServerAddress] = []
        if let sourceHost = options.source {
            switch AuditServerAddress.resolve(host: sourceHost, port: 0) {
            case .success(let found): source = found
            case .failure(let error):
                StandardError.line("relayguard: \(error)")
                return ExitStatus.usage
            }
        }
        let addresses: [AuditServerAddress]
        switch AuditServerAddress.resolve(host: options.host, port: options.port) {
        case .success(let found): addresses = found
        case .failure(let error):
            return notAudited(options, because: "\(error)")
        }
        let auditor = RelayAuditor(options: options, addresses: addresses, source: source)
        if isatty(2) == 1 {
            auditor.progress = { number, count, result in
                StandardError.line("relayguard: audit: [\(number)/\(count)] \(result.auditCase.name): "
                    + "\(result.verdict.rawValue) (\(result.outcome.replyDescription))")
            }
        }
        switch auditor.run() {
        case .success(let report):
            print(options.json ? AuditJSON.render(report) : AuditTable.render(report), terminator: "")
            if let hint = report.untestedHint { StandardError.line("relayguard: audit: \(hint)") }
            return report.exitStatus
        case .failure(let error):
            return notAudited(options, because: "\(error)")
        }
    }

    /// The server could not be audited at all: one line on stderr and exit 1; with `--json` the
    /// document still comes, every case `untested` with the reason as its reply.
    private static func notAudited(_ options: AuditOptions, because why: String) -> Int32 {
        StandardError.line("relayguard: \(why)")
        if options.json {
            let site = AuditSite(localDomain: options.localDomain ?? AuditSite.guessLocalDomain(fromServerName: options.host),
                                 externalDomain: options.externalDomain, serverName: options.host,
                                 serverLiteral: AuditSite.addressLiteral(forIP: options.host))
            let results = AuditCatalog.cases(for: site).map { AuditResult(auditCase: $0, outcome: .unreachable(why)) }
            print(AuditJSON.render(AuditReport(target: options.target, site: site, results: results)), terminator: "")
        }
        return ExitStatus.problem
    }
}
