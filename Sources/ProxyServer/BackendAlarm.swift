// BackendAlarm: "backend unreachable" on stderr, at most once a minute.
//
// Contract: `record(_:detail:now:)` is called on the loop thread for every session that could
// not reach the backend (a decision record with reason backend_unavailable). The first one is
// said at once; later ones within `interval` are counted and said, with their number, in the
// next line, so a dead backend under load writes one line a minute, not one per client.
//
// Why: every session logs its own backend_unavailable record in the decision log, which is
// for machines; the administrator needs to hear once, in the journal, that mail is being
// turned away, without the journal being flooded.
import EventIO

final class BackendAlarm {
    let backend: String
    let interval: Duration
    private var lastLine: MonotonicClock.Instant?
    /// Sessions refused since the last line.
    private var unsaid = 0

    init(backend: String, interval: Duration = .seconds(60)) {
        self.backend = backend
        self.interval = interval
    }

    func record(detail: String?, now: MonotonicClock.Instant) {
        unsaid += 1
        if let lastLine, now < lastLine.advanced(by: interval) { return }
        let count = unsaid
        unsaid = 0
        lastLine = now
        let why = detail.map { ": \($0)" } ?? ""
        let scope = count == 1 ? "" : " (\(count) sessions turned away since the last line)"
        OperationalLog.warning("backend \(backend) unreachable\(why); sessions get 421 4.3.0 or 451 4.3.0\(scope)")
    }
}
