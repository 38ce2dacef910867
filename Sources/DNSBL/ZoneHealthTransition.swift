/// A change of a DNSBL zone's health state, for the log. `isAlarm` marks the ones an operator
/// must see (a zone switched off or back on); the first "healthy" after start-up is not one.
public struct ZoneHealthTransition: Sendable, Equatable, CustomStringConvertible {
    public var zone: String
    public var from: ZoneHealthState
    public var to: ZoneHealthState

    public init(zone: String, from: ZoneHealthState, to: ZoneHealthState) {
        self.zone = zone
        self.from = from
        self.to = to
    }

    /// True when the zone was disabled or re-enabled (or disabled for a different reason).
    public var isAlarm: Bool {
        switch (from, to) {
        case (.unchecked, .healthy): false
        case (.unchecked, .disabled), (.healthy, .disabled), (.disabled, .disabled), (.disabled, .healthy): true
        case (.healthy, .healthy), (.unchecked, .unchecked), (.healthy, .unchecked), (.disabled, .unchecked): false
        }
    }

    /// One line, upper-case verb first, fit for grep: `DNSBL zone bl.example DISABLED: ...`.
    public var description: String {
        switch to {
        case .disabled(let fault):
            "DNSBL zone \(zone) DISABLED: \(fault); its answers are ignored until it passes the RFC 5782 test again"
        case .healthy:
            switch from {
            case .disabled: "DNSBL zone \(zone) RE-ENABLED: it lists 127.0.0.2 and not 127.0.0.1 again"
            case .unchecked, .healthy: "DNSBL zone \(zone) healthy: it lists 127.0.0.2 and not 127.0.0.1"
            }
        case .unchecked:
            "DNSBL zone \(zone) unchecked"
        }
    }
}
