#if canImport(Glibc)
import Glibc
#endif
import ProxyServer
import RelayPolicy
import EventIO

/// `relayguard run [--config PATH]`: the daemon (SPEC sections 2 and 3).
///
/// Start-up order: read and validate everything, block signals, bind the listeners, drop
/// root, then serve. SIGHUP reloads the configuration and recipient map (a broken one keeps
/// the old policy and logs why) and reopens the log; SIGUSR1 reopens the log; SIGTERM and
/// SIGINT stop accepting, let sessions finish for up to 30 s, then answer 421 and exit 0.
enum RunCommand {
    static let drainPeriod: Duration = .seconds(30)

    static func run(_ arguments: [String]) -> Int32 {
        let path: String
        do {
            path = try ConfigurationFile.path(fromArguments: arguments, command: "run")
        } catch {
            StandardError.line("relayguard: \(error.message)")
            return ExitStatus.usage
        }
        let policy: LoadedPolicy
        switch LoadedPolicy.load(path: path) {
        case .success(let loaded): policy = loaded
        case .failure(let error):
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
        SignalSource.prepareProcess()
        do {
            return try serve(policy, configPath: path, loop: EventLoop())
        } catch {
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
    }

    /// Serves `policy` on `loop` until SIGTERM; `configPath` is re-read on SIGHUP (nil: no
    /// reloads). The caller has called `SignalSource.prepareProcess()` first.
    static func serve(_ policy: LoadedPolicy, configPath: String?, loop: EventLoop) -> Int32 {
        let sessionCapacity = OpenFileLimit.sessionCapacity(descriptors: OpenFileLimit.raiseToHard())
        var policy = policy
        policy.configuration = fitted(policy.configuration, sessionCapacity: sessionCapacity)
        do {
            let log = try DecisionLogWriter(policy.configuration.log)
            // sd_notify (Type=notify): readiness, reloads, shutdown and a status line.
            let service = ServiceStatus(notifier: ServiceNotifier())
            if let service { log.observer = service.count }
            let proxy = SMTPProxy(configuration: policy.configuration, recipientMap: policy.recipientMap,
                                  tls: try SMTPProxy.loadTLS(policy.configuration), loop: loop, log: log)
            try proxy.start()
            if let user = policy.configuration.user {
                try Privileges.drop(to: user)
            }
            // Start-up safety check: does the backend take the identity header?
            if policy.configuration.backendClientIdentity == .none {
                StandardError.line("relayguard: warning: backend_client_identity = none: the backend sees every client as relayguard's own address; never let that address relay there")
                proxy.note(.error, reason: .backend, detail: "backend_client_identity = none")
            }
            BackendProbe.run(configuration: policy.configuration, loop: loop) { outcome in
                if case .problem(let what) = outcome {
                    StandardError.line("relayguard: warning: \(what)")
                    proxy.note(.error, reason: .backendUnavailable, detail: what)
                }
                service?.ready(sessions: proxy.sessionCount)
                service?.startUpdates(on: loop) { proxy.sessionCount }
            }
            var stopping = false
            let signals = try SignalSource(loop: loop) { signal in
                switch signal {
                case .hangup:
                    log.reopen()
                    guard let configPath else { return }
                    service?.reloading(sessions: proxy.sessionCount)
                    defer { service?.ready(sessions: proxy.sessionCount) }
                    switch LoadedPolicy.load(path: configPath) {
                    case .success(let reloaded):
                        // The certificate and key are re-read too; a broken pair keeps the old policy.
                        do {
                            let tls = try SMTPProxy.loadTLS(reloaded.configuration)
                            let configuration = fitted(reloaded.configuration, sessionCapacity: sessionCapacity)
                            proxy.reload(configuration, recipientMap: reloaded.recipientMap, tls: tls)
                        } catch {
                            proxy.reloadFailed("\(error)")
                        }
                    case .failure(let error): proxy.reloadFailed("\(error)")
                    }
                case .userDefined1:
                    log.reopen()
                case .terminate, .interrupt:
                    guard !stopping else { return }
                    stopping = true
                    service?.stopping(sessions: proxy.sessionCount)
                    proxy.onDrained = { loop.stop() }
                    proxy.beginDrain()
                    loop.schedule(after: drainPeriod) {
                        proxy.shutdownSessions()
                        loop.runSoon { loop.stop() }
                    }
                }
            }
            loop.run()
            signals.close()
            proxy.flushLog()
            log.drain()
            return ExitStatus.success
        } catch {
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
    }
}

extension RunCommand {
    /// `configuration` with `max_connections` lowered to what the open-file limit can hold,
    /// saying so on stderr (SPEC section 3: warn and lower, never fail later at accept).
    static func fitted(_ configuration: Configuration, sessionCapacity: Int) -> Configuration {
        guard configuration.maxConnections > sessionCapacity else { return configuration }
        StandardError.line("relayguard: warning: the open-file limit holds \(sessionCapacity) sessions (two descriptors each, "
            + "\(OpenFileLimit.reserve) kept for the rest); max_connections lowered from \(configuration.maxConnections) "
            + "to \(sessionCapacity). Raise the hard limit (LimitNOFILE=) to serve more")
        var fitted = configuration
        fitted.maxConnections = sessionCapacity
        return fitted
    }
}

/// A configuration with its recipient map loaded: what a start or a reload needs.
struct LoadedPolicy {
    var configuration: Configuration
    var recipientMap: RecipientMap

    static func load(path: String) -> Result<LoadedPolicy, ConfigurationFileError> {
        switch ConfigurationFile.load(path: path) {
        case .failure(let error): return .failure(error)
        case .success(let configuration):
            var map = RecipientMap()
            if let mapPath = configuration.recipientMap {
                switch ConfigurationFile.read(path: mapPath) {
                case .failure(let error): return .failure(error)
                case .success(let text):
                    do { map = try RecipientMap(parsing: text, file: mapPath) } catch { return .failure(.invalid(error)) }
                }
            }
            if configuration.bareNewline == .normalize {
                return .failure(.invalid(ConfigurationError(file: path, line: lineOfKey("bare_newline", in: path),
                    message: "bare_newline = normalize is not supported by this build; use reject")))
            }
            return .success(LoadedPolicy(configuration: configuration, recipientMap: map))
        }
    }
}

/// The line where `key` is set in the file at `path` (1 when it cannot be found), for errors
/// about a valid setting this build cannot honour.
private func lineOfKey(_ key: String, in path: String) -> Int {
    guard case .success(let text) = ConfigurationFile.read(path: path) else { return 1 }
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let name = line.prefix { $0 != "=" && $0 != " " && $0 != "\t" }
        if name == key { return index + 1 }
    }
    return 1
}

/// Dropping root after binding (`user`).
enum Privileges {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func drop(to user: String) throws {
        guard geteuid() == 0 else { return }
        guard let entry = getpwnam(user) else { throw Failure(description: "user \(user): no such user") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        guard setgroups(0, nil) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw Failure(description: "cannot drop privileges to \(user): \(String(cString: strerror(errno)))")
        }
    }
}
