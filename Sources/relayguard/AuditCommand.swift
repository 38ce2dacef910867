import RelayAudit

/// `relayguard audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout T]`
/// (SPEC sections 2 and 8): the open-relay audit of any SMTP server.
///
/// Prints the table (or with `--json` the JSON document) on stdout. Exit status:
/// - 0: every case passed (every relay attempt was refused);
/// - 1: a relay attempt was accepted (a case failed), or a case stayed inconclusive (no reply in
///   time, reconnect failed); also when the server cannot be reached or refuses the auditor's
///   first connection, with one line `relayguard: audit: ...` on stderr and no table;
/// - 2: usage error.
enum AuditCommand {
    static let usage = "usage: relayguard audit HOST[:PORT] [--local-domain D] [--external-domain D] [--json] [--timeout DURATION]"

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
                  --json               one JSON document instead of the table
                  Exit status: 0 all refused; 1 a relay was accepted, a case was inconclusive,
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
        let addresses: [AuditServerAddress]
        switch AuditServerAddress.resolve(host: options.host, port: options.port) {
        case .success(let found): addresses = found
        case .failure(let error):
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
        switch RelayAuditor(options: options, addresses: addresses).run() {
        case .success(let report):
            print(options.json ? AuditJSON.render(report) : AuditTable.render(report), terminator: "")
            return report.exitStatus
        case .failure(let error):
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
    }
}
