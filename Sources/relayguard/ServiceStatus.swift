import EventIO
import DecisionLog
import ProxyServer

/// What `relayguard run` tells the service manager, through a `ServiceNotifier`: readiness,
/// reloads, shutdown, and a `STATUS=` line with the sessions and the decisions so far.
///
/// Contract: everything runs on the event loop's thread. `count(_:)` sees every decision
/// record (it is the decision log writer's observer); only decisions about a client session
/// count (not reloads or start-up notes). The periodic `STATUS=` is sent only when its text changed.
final class ServiceStatus {
    private let notifier: ServiceNotifier
    private var decisions: [Decision: Int] = [:]
    private var phase = "starting"
    private var lastStatus = ""
    /// Once stopping, a late reload neither says RELOADING nor READY again.
    private var isStopping = false
    static let updateInterval: Duration = .seconds(5)

    /// Nil when no service manager listens (`NOTIFY_SOCKET` unset).
    init?(notifier: ServiceNotifier?) {
        guard let notifier else { return nil }
        self.notifier = notifier
    }

    func count(_ record: DecisionRecord) {
        if record.session != nil, let decision = record.decision { decisions[decision, default: 0] += 1 }
    }

    /// `STATUS=serving, 3 sessions; decisions: 12 accept, 4 reject, 0 tempfail, 1 drop`
    func statusText(sessions: Int) -> String {
        let counts = Decision.allCases.map { "\(decisions[$0, default: 0]) \($0.rawValue)" }
        return "\(phase), \(sessions) session\(sessions == 1 ? "" : "s"); decisions: \(counts.joined(separator: ", "))"
    }

    /// Listeners bound and the backend probed (or a reload done): `READY=1`.
    func ready(sessions: Int, phase: String = "serving") {
        guard !isStopping else { return }
        self.phase = phase
        send(["READY=1"], sessions: sessions)
    }

    /// SIGHUP arrived: `RELOADING=1` until the next `ready`.
    func reloading(sessions: Int) {
        guard !isStopping else { return }
        phase = "reloading"
        send(["RELOADING=1", "MONOTONIC_USEC=\(ServiceNotifier.monotonicMicroseconds())"], sessions: sessions)
    }

    /// SIGTERM or SIGINT arrived: `STOPPING=1`.
    func stopping(sessions: Int) {
        isStopping = true
        phase = "stopping, draining"
        send(["STOPPING=1"], sessions: sessions)
    }

    /// Sends the status line every `updateInterval` while it changes.
    func startUpdates(on loop: EventLoop, sessions: @escaping () -> Int) {
        _ = loop.schedule(after: Self.updateInterval) { [weak self] in
            guard let self else { return }
            let text = statusText(sessions: sessions())
            if text != lastStatus { send([], sessions: sessions()) }
            startUpdates(on: loop, sessions: sessions)
        }
    }

    private func send(_ fields: [String], sessions: Int) {
        lastStatus = statusText(sessions: sessions)
        notifier.send(fields + ["STATUS=" + lastStatus])
    }
}
