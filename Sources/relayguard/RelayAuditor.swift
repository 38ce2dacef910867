import RelayAudit
import SMTPProtocol

/// Runs the open-relay audit against one server (relayguard(8), audit): connects like a stranger,
/// reads the greeting, EHLO, then for each case RSET, MAIL FROM, RCPT TO, never DATA.
///
/// The server may refuse or close at any point; that ends the case (a pass) and the next case
/// starts on a new connection. A connection found dead at RSET, before the case asked anything,
/// is replaced once and the case run again on the new one. After a timeout or an unreadable
/// reply the connection is out of step and is dropped.
///
/// The first connection is special: if it cannot be made, or the server refuses it (greeting or
/// EHLO and HELO), nothing can be tested, and `run()` fails (exit 1, with the reason).
final class RelayAuditor {
    private let options: AuditOptions
    private let addresses: [AuditServerAddress]
    /// The local address connections are made from (`--source`).
    private let source: [AuditServerAddress]
    /// Called after each case with its number, the number of cases and the result (progress).
    var progress: ((Int, Int, AuditResult) -> Void)?
    private var connection: SMTPClientConnection?
    /// The address that answered the first connection; later connections go there too.
    private var address: AuditServerAddress

    /// How one command of a case went: a positive reply, or the outcome that ends the case.
    private enum Step {
        case positive(Reply)
        case ended(AuditOutcome)
    }

    /// The name the auditor gives in EHLO: under `.invalid`, so that it can be no one's real name.
    static let heloName = "relay-audit.invalid"

    init(options: AuditOptions, addresses: [AuditServerAddress], source: [AuditServerAddress] = []) {
        self.options = options
        self.addresses = addresses
        self.source = source
        self.address = addresses[0]
    }

    private var timeout: Int { options.timeoutMilliseconds }

    func run() -> Result<AuditReport, AuditClientError> {
        let names: (greeting: String?, ehlo: String?)
        switch openFirstConnection() {
        case .success(let found): names = found
        case .failure(let error): return .failure(error)
        }
        let ipIsHost = options.host == address.numericHost
        let serverName = names.greeting ?? names.ehlo ?? (ipIsHost ? "localhost" : options.host.lowercased())
        let site = AuditSite(localDomain: options.localDomain ?? AuditSite.guessLocalDomain(fromServerName: serverName),
                             externalDomain: options.externalDomain, serverName: serverName,
                             serverLiteral: AuditSite.addressLiteral(forIP: address.numericHost))
        var results: [AuditResult] = []
        let cases = AuditCatalog.cases(for: site)
        for auditCase in cases {
            results.append(AuditResult(auditCase: auditCase, outcome: run(auditCase)))
            progress?(results.count, cases.count, results[results.count - 1])
        }
        quit()
        return .success(AuditReport(target: options.target, site: site, results: results))
    }

    // MARK: - Connections

    /// The `--source` address of the server address's family (the first one, if none matches:
    /// the connection then fails and says why).
    private func sourceAddress(for server: AuditServerAddress) -> AuditServerAddress? {
        source.first { $0.family == server.family } ?? source.first
    }

    /// Tries every resolved address in turn; greets and EHLOs on the first that connects.
    private func openFirstConnection() -> Result<(greeting: String?, ehlo: String?), AuditClientError> {
        var lastFailure = "no address"
        for candidate in addresses {
            switch SMTPClientConnection.connect(to: candidate, from: sourceAddress(for: candidate), timeoutMilliseconds: timeout) {
            case .success(let opened):
                address = candidate
                connection = opened
                let greeting: Reply
                switch opened.readReply(timeoutMilliseconds: timeout) {
                case .reply(let reply) where reply.isPositive:
                    greeting = reply
                case .reply(let reply):
                    return .failure(.refusedAtStart(target: options.target, what: "refused the connection: \(reply.code) \(reply.auditText)"))
                case .closed:
                    return .failure(.refusedAtStart(target: options.target, what: "closed the connection without a greeting"))
                case .timedOut:
                    return .failure(.refusedAtStart(target: options.target, what: "sent no greeting within \(timeout)ms"))
                case .unreadable(let why):
                    return .failure(.refusedAtStart(target: options.target, what: "greeted with \(why)"))
                }
                switch hello() {
                case .positive(let ehlo):
                    return .success((AuditSite.serverName(fromReplyText: greeting.lines[0]),
                                     AuditSite.serverName(fromReplyText: ehlo.lines[0])))
                case .ended(let outcome):
                    return .failure(.refusedAtStart(target: options.target, what: "refused EHLO and HELO (\(outcome.replyDescription))"))
                }
            case .failure(let failure):
                lastFailure = failure.reason
            }
        }
        return .failure(.cannotConnect(target: options.target, reason: lastFailure))
    }

    /// A new connection for a case: greeting and EHLO, or the outcome that ends the case.
    private func reconnect() -> AuditOutcome? {
        dropConnection()
        switch SMTPClientConnection.connect(to: address, from: sourceAddress(for: address), timeoutMilliseconds: timeout) {
        case .failure(let failure):
            return .unreachable("cannot reconnect: \(failure.reason)")
        case .success(let opened):
            connection = opened
            switch opened.readReply(timeoutMilliseconds: timeout) {
            case .reply(let reply) where reply.isPositive:
                break
            case let other:
                return ending(other, at: .connect)
            }
            switch hello() {
            case .positive: return nil
            case .ended(let outcome): return outcome
            }
        }
    }

    /// EHLO, and HELO when EHLO gets a 5xx (an old server); the EHLO/HELO reply, or the outcome
    /// that ends the case.
    private func hello() -> Step {
        let step = exchange("EHLO \(Self.heloName)", at: .helo)
        guard case .ended(.refusedBefore(_, let code, _)) = step, code >= 500, code != 554, connection != nil else {
            return step
        }
        return exchange("HELO \(Self.heloName)", at: .helo)
    }

    // MARK: - One case

    private func run(_ auditCase: AuditCase) -> AuditOutcome {
        var isFresh = false
        if connection == nil {
            if let outcome = reconnect() { return outcome }
            isFresh = true
        }
        switch exchange("RSET", at: .rset) {
        case .positive:
            break
        case .ended(let outcome):
            guard !isFresh, case .closedBefore = outcome else { return outcome }
            // The connection died between cases (the server closed it after the last reply):
            // nothing of this case was asked yet, so ask again on a new connection.
            if let outcome = reconnect() { return outcome }
            if case .ended(let outcome) = exchange("RSET", at: .rset) { return outcome }
        }
        if case .ended(let outcome) = exchange(auditCase.mailCommand, at: .mail) { return outcome }
        guard let open = connection, open.send(auditCase.rcptCommand, timeoutMilliseconds: timeout) else {
            dropConnection()
            return .closedBefore(.rcpt)
        }
        let answer = open.readReply(timeoutMilliseconds: timeout)
        if case .reply(let reply) = answer {
            if reply.code == 421 { dropConnection() }
            return .answered(code: reply.code, text: reply.auditText)
        }
        return ending(answer, at: .rcpt)
    }

    /// Sends a command and reads its reply: the reply when positive (2xx), else the outcome that
    /// ends the case.
    private func exchange(_ command: String, at stage: AuditStage) -> Step {
        guard let open = connection, open.send(command, timeoutMilliseconds: timeout) else {
            dropConnection()
            return .ended(.closedBefore(stage))
        }
        let answer = open.readReply(timeoutMilliseconds: timeout)
        if case .reply(let reply) = answer, reply.isPositive { return .positive(reply) }
        return .ended(ending(answer, at: stage))
    }

    /// The outcome of a reply that ends a case before its RCPT was answered; drops the
    /// connection when the server is closing it or it is out of step.
    private func ending(_ answer: SMTPClientReply, at stage: AuditStage) -> AuditOutcome {
        switch answer {
        case .reply(let reply):
            if reply.code == 421 || stage == .connect { dropConnection() }
            return .refusedBefore(stage, code: reply.code, text: reply.auditText)
        case .closed:
            dropConnection()
            return .closedBefore(stage)
        case .timedOut:
            dropConnection()
            return .noReply(stage, milliseconds: timeout)
        case .unreadable(let why):
            dropConnection()
            return .unreachable("\(stage.label): \(why)")
        }
    }

    private func dropConnection() {
        connection?.close()
        connection = nil
    }

    /// QUIT politely on the last connection, without waiting long for the answer.
    private func quit() {
        guard let open = connection else { return }
        if open.send("QUIT", timeoutMilliseconds: 2000) {
            _ = open.readReply(timeoutMilliseconds: min(timeout, 5000))
        }
        dropConnection()
    }
}
