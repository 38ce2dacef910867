import NetworkAddress

/// Durations in the configuration: a whole number with a unit, `250ms`, `5s`, `10m`, `1h`,
/// `1d`; a bare number is seconds (relayguard.conf(5)). `d` (days) is accepted beyond the documented
/// list, as in Postfix, for long `harvest_block_time` values.
///
/// Why no fractions (`1.5s`): Postfix has none either; write `1500ms`.
public enum DurationSyntax {
    /// The longest duration accepted anywhere: 365 days, so no timer arithmetic overflows.
    static let maximumMilliseconds: Int64 = 365 * 86_400_000

    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    public static func parse(_ text: some StringProtocol) throws(ConfigurationValueError) -> Duration {
        let text = String(text)
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = text.dropFirst(digits.count)
        guard !digits.isEmpty else {
            throw ConfigurationValueError("bad duration \"\(text)\": expected a whole number and a unit, like 250ms, 5s, 10m, 1h or 1d")
        }
        let scale: Int64
        if suffix.isEmpty {
            scale = 1000
        } else if let unit = units.first(where: { $0.suffix == suffix }) {
            scale = unit.milliseconds
        } else {
            throw ConfigurationValueError("bad duration \"\(text)\": unknown unit \"\(suffix)\" (use ms, s, m, h or d)")
        }
        guard digits.count <= 12, let number = Int64(digits),
              number <= maximumMilliseconds / scale else {
            throw ConfigurationValueError("bad duration \"\(text)\": longer than 365d")
        }
        return .milliseconds(number * scale)
    }

    /// The duration in the largest unit that writes it as a whole number: `5s`, `10m`, `250ms`, `0s`.
    public static func render(_ duration: Duration) -> String {
        let total = milliseconds(duration)
        if total == 0 { return "0s" }
        for unit in units.reversed() where total % unit.milliseconds == 0 {
            return "\(total / unit.milliseconds)\(unit.suffix)"
        }
        return "\(total)ms"
    }

    /// Whole milliseconds in `duration` (sub-millisecond parts dropped).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
