import DecisionLog
import EventIO
import NetworkAddress
import RelayPolicy

/// What the control socket sees and steers (`relayguard ctl`). Every action is a `control`
/// record and an operational line on stderr.
extension SMTPProxy: ControlTarget {
    func controlBlocks() -> [String] {
        harvestDefence.blocks.blocks(now: loop.now()).map { block in
            "\(block.client) \(block.reason.rawValue) \(DurationSyntax.render(Self.wholeSeconds(block.remaining))) left"
        }
    }

    func controlUnblock(_ address: IPAddress?) -> Int {
        let lifted: Int
        if let address {
            lifted = harvestDefence.unblock(address, now: loop.now()) ? 1 : 0
        } else {
            lifted = harvestDefence.unblockAll(now: loop.now())
        }
        let what = address.map { "\($0)" } ?? "all"
        var record = DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: .control, decision: .accept,
                                    reason: .unblocked, detail: LogText("unblock \(what): \(lifted) lifted"))
        record.client = address?.description
        log(record)
        OperationalLog.info("control: unblock \(what): \(lifted) block(s) lifted")
        return lifted
    }

    func controlBlock(_ address: IPAddress, for duration: Duration) {
        harvestDefence.block(address, for: duration, now: loop.now())
        var record = DecisionRecord(timestamp: Timestamp(millisecondsSinceEpoch: 0), event: .control, decision: .drop,
                                    reason: .blockedByOperator, detail: LogText("block for \(DurationSyntax.render(duration))"))
        record.client = address.description
        log(record)
        OperationalLog.info("control: \(address) blocked for \(DurationSyntax.render(duration))")
    }

    func controlStats() -> [String] {
        metrics.exposition(gauges).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    func controlZones() -> [String] {
        guard let dnsbl else { return [] }
        return configuration.dnsblSites.map { "\($0.zone) \(dnsbl.healthState(of: $0.zone))" }
    }

    func controlSessions() -> [String] {
        var counts: [String: Int] = [:]
        for session in sessions.values { counts[session.stateName, default: 0] += 1 }
        return ["active \(sessions.count)"] + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    }

    /// A duration rounded up to whole seconds, for display.
    static func wholeSeconds(_ duration: Duration) -> Duration {
        let (seconds, attoseconds) = duration.components
        return .seconds(attoseconds > 0 ? seconds + 1 : seconds)
    }
}
