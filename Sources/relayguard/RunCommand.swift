#if canImport(Glibc)
import Glibc
#endif
import ProxyServer
import RelayPolicy
import EventIO

/// `relayguard run [--config PATH]`: the daemon (relayguard(8), COMMANDS and relayguard.conf(5)).
///
/// Start-up order: read and validate everything, block signals, bind the listeners, drop
/// root, then serve. SIGHUP reloads the configuration and recipient map (a broken one keeps
/// the old policy and logs why) and reopens the log; SIGUSR1 reopens the log; SIGTERM and
/// SIGINT stop accepting, let sessions finish for up to `shutdown_grace`, then answer 421 and
/// exit 0. What happens is said on stderr as operational lines (`OperationalLog`).
enum RunCommand {
    static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: relayguard run [-c|--config PATH]   (default PATH \(ConfigurationFile.defaultPath))")
            return ExitStatus.success
        }
        let path: String
        do {
            path = try ConfigurationFile.path(fromArguments: arguments, command: "run")
        } catch {
            StandardError.line("relayguard: \(error.message)")
            return ExitStatus.usage
        }
        // The same checks, messages and exit status as `check-config`.
        let checked: StartupCheck
        switch StartupCheck.run(path: path) {
        case .success(let result): checked = result
        case .failure(let error):
            StandardError.line("relayguard: \(error)")
            return ExitStatus.problem
        }
        SignalSource.prepareProcess()
        do {
            return try serve(checked.policy, configPath: path, loop: EventLoop(), warnings: checked.warnings)
        } catch {
            OperationalLog.error("\(error)")
            OperationalLog.info("stopped (could not start)")
            return ExitStatus.problem
        }
    }

    /// The first operational line: what this process is and where it serves.
    static func startedLine(_ configuration: Configuration) -> String {
        let listen = configuration.listen.map(\.description).joined(separator: ", ")
        return "started \(BuildInfo.version) (commit \(BuildInfo.commit); listen \(listen); backend \(configuration.backend);"
            + " identity \(configuration.backendClientIdentity.rawValue); pid \(getpid()))"
    }

    /// Serves `policy` on `loop` until SIGTERM; `configPath` is re-read on SIGHUP (nil: no
    /// reloads). The caller has called `SignalSource.prepareProcess()` first. `warnings` (from
    /// the start-up check) are said right after the `started` line.
    static func serve(_ policy: LoadedPolicy, configPath: String?, loop: EventLoop, warnings: [String] = []) -> Int32 {
        OperationalLog.info(startedLine(policy.configuration))
        for warning in warnings { OperationalLog.warning(warning) }
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
                // The log file was opened as root; the user must be able to open it again
                // after logrotate (SIGHUP, SIGUSR1), so it becomes the user's file.
                if case .file(let logPath) = policy.configuration.log { Privileges.handOver(logPath, to: user) }
                // The control socket belongs to the service user too (mode 0660: it and its group).
                if let socketPath = proxy.controlSocketPath { Privileges.handOver(socketPath, to: user) }
                try Privileges.drop(to: user)
            }
            // Start-up safety check: does the backend take the identity header?
            if policy.configuration.backendClientIdentity == .none {
                OperationalLog.warning("backend_client_identity = none: the backend sees every client as relayguard's own address; never let that address relay there")
                proxy.note(.error, reason: .backend, detail: "backend_client_identity = none")
            }
            BackendProbe.run(configuration: policy.configuration, loop: loop) { outcome in
                var probe = "backend probe passed"
                if case .problem(let what) = outcome {
                    OperationalLog.warning(what)
                    proxy.note(.error, reason: .backendUnavailable, detail: what)
                    probe = "backend probe failed"
                }
                let bound = proxy.boundAddresses.map { "\($0)" }.joined(separator: ", ")
                OperationalLog.info("ready (listening on \(bound); \(probe))")
                service?.ready(sessions: proxy.sessionCount)
                service?.startUpdates(on: loop) { proxy.sessionCount }
            }
            var stopping = false
            // Sessions still open when the grace period ran out (answered 421 and cut).
            var sessionsCut = 0
            var sessionsAtStop = 0
            let logDestination = policy.configuration.log
            let reopenLog = {
                log.reopen { failure in
                    if let failure {
                        OperationalLog.error("log reopen failed: \(failure); still writing to the old file")
                    } else {
                        OperationalLog.info("log reopened (\(logDestination))")
                    }
                }
            }
            let signals = try SignalSource(loop: loop) { signal in
                switch signal {
                case .hangup:
                    reopenLog()
                    guard let configPath else { return }
                    service?.reloading(sessions: proxy.sessionCount)
                    defer { service?.ready(sessions: proxy.sessionCount) }
                    switch StartupCheck.run(path: configPath) {
                    case .success(let checked):
                        // The certificate and key are re-read too; a broken pair keeps the old policy.
                        do {
                            let tls = try SMTPProxy.loadTLS(checked.policy.configuration)
                            let configuration = fitted(checked.policy.configuration, sessionCapacity: sessionCapacity)
                            proxy.reload(configuration, recipientMap: checked.policy.recipientMap, tls: tls)
                            for warning in checked.warnings { OperationalLog.warning(warning) }
                            OperationalLog.info("reload applied (\(configPath))")
                        } catch {
                            proxy.reloadFailed("\(error)")
                            OperationalLog.error("reload failed, old settings kept: \(error)")
                        }
                    case .failure(let error):
                        proxy.reloadFailed("\(error)")
                        OperationalLog.error("reload failed, old settings kept: \(error)")
                    }
                case .userDefined1:
                    reopenLog()
                case .terminate, .interrupt:
                    guard !stopping else { return }
                    stopping = true
                    sessionsAtStop = proxy.sessionCount
                    OperationalLog.info("stopping (\(signal == .terminate ? "SIGTERM" : "SIGINT"); \(sessionsAtStop) sessions open)")
                    service?.stopping(sessions: proxy.sessionCount)
                    proxy.onDrained = { loop.stop() }
                    proxy.beginDrain()
                    loop.schedule(after: policy.configuration.shutdownGrace) {
                        sessionsCut = proxy.sessionCount
                        proxy.shutdownSessions()
                        loop.runSoon { loop.stop() }
                    }
                }
            }
            loop.run()
            signals.close()
            proxy.flushLog()
            log.drain()
            OperationalLog.info("stopped (\(sessionsAtStop - sessionsCut) sessions drained, \(sessionsCut) cut)")
            return ExitStatus.success
        } catch {
            OperationalLog.error("\(error)")
            OperationalLog.info("stopped (could not start)")
            return ExitStatus.problem
        }
    }
}

extension RunCommand {
    /// `configuration` with `max_connections` lowered to what the open-file limit can hold,
    /// saying so on stderr (relayguard.conf(5): warn and lower, never fail later at accept).
    static func fitted(_ configuration: Configuration, sessionCapacity: Int) -> Configuration {
        guard configuration.maxConnections > sessionCapacity else { return configuration }
        OperationalLog.warning("the open-file limit holds \(sessionCapacity) sessions (two descriptors each, "
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
}

/// Dropping root after binding (`user`).
enum Privileges {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Makes the file at `path` the user's (when running as root), so it can reopen it later.
    static func handOver(_ path: String, to user: String) {
        guard geteuid() == 0, let entry = getpwnam(user) else { return }
        _ = chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    static func drop(to user: String) throws {
        guard geteuid() == 0 else { return }
        guard let entry = getpwnam(user) else { throw Failure(description: "user \(user): no such user") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        guard setgroups(0, nil) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw Failure(description: "cannot drop privileges to \(user): \(String(cString: strerror(errno)))")
        }
    }
}
