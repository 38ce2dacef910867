/// Instants for `relayguard report`: the log's `ts` and the `--since` / `--until` bounds, as
/// milliseconds since 1970-01-01T00:00:00Z on the proleptic Gregorian calendar, UTC throughout.
///
/// Accepted bounds:
/// - ISO 8601: `2026-12-04` (midnight UTC), `2026-12-04T08:00`, `2026-12-04T08:00:00`,
///   `2026-12-04T08:00:00.123`, each optionally followed by `Z` or an offset `+01:00` / `-0500`
///   (a space may stand for the `T`). Without a zone the time is UTC, like the log's.
/// - Relative to now: `-30s`, `-30m`, `-24h`, `-7d`, `-2w` (a minus sign, a whole number, a unit).
///
/// Why our own arithmetic: the module is pure (no Foundation), and a report converts one `ts`
/// per record, millions of them, so the conversion must be cheap and allocation-free.
public enum ReportTime {
    public static let millisecondsPerHour = 3_600_000
    static let millisecondsPerDay = 86_400_000

    /// A `--since` / `--until` argument, or nil when it is neither form above.
    /// `now` is the current time in milliseconds (passed in: the module has no clock).
    public static func parseBound(_ text: String, now: Int) -> Int? {
        if text.hasPrefix("-") { return parseRelative(text, now: now) }
        return parseISO8601(text)
    }

    /// `-24h` and the like: now minus the amount; nil for anything else.
    static func parseRelative(_ text: String, now: Int) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "-") else { return nil }
        let unit: Int
        switch bytes[bytes.count - 1] {
        case UInt8(ascii: "s"): unit = 1000
        case UInt8(ascii: "m"): unit = 60_000
        case UInt8(ascii: "h"): unit = millisecondsPerHour
        case UInt8(ascii: "d"): unit = millisecondsPerDay
        case UInt8(ascii: "w"): unit = 7 * millisecondsPerDay
        default: return nil
        }
        let digits = bytes[1..<(bytes.count - 1)]
        // Ten digits at most: 9,999,999,999 weeks still fits an Int in milliseconds.
        guard digits.count <= 10, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let amount = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return now - amount * unit
    }

    /// An ISO 8601 date or date and time (forms above); nil when malformed or out of range.
    public static func parseISO8601(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { parseISO8601(bytes: $0) }
    }

    /// The same from bytes (what the log's `ts` is read as).
    public static func parseISO8601(bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var scanner = Scanner(bytes: bytes)
        guard let year = scanner.number(digits: 4), year >= 1, scanner.skip(UInt8(ascii: "-")),
              let month = scanner.number(digits: 2), (1...12).contains(month), scanner.skip(UInt8(ascii: "-")),
              let day = scanner.number(digits: 2), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var milliseconds = daysSinceEpoch(year: year, month: month, day: day) * millisecondsPerDay
        if scanner.atEnd { return milliseconds }
        guard scanner.skip(UInt8(ascii: "T")) || scanner.skip(UInt8(ascii: "t")) || scanner.skip(UInt8(ascii: " ")),
              let hour = scanner.number(digits: 2), hour <= 23, scanner.skip(UInt8(ascii: ":")),
              let minute = scanner.number(digits: 2), minute <= 59 else { return nil }
        milliseconds += hour * millisecondsPerHour + minute * 60_000
        if scanner.skip(UInt8(ascii: ":")) {
            // 60: a leap second, counted as the first second of the next minute.
            guard let second = scanner.number(digits: 2), second <= 60 else { return nil }
            milliseconds += second * 1000
            if scanner.skip(UInt8(ascii: ".")) || scanner.skip(UInt8(ascii: ",")) {
                guard let fraction = scanner.fractionMilliseconds() else { return nil }
                milliseconds += fraction
            }
        }
        if scanner.atEnd { return milliseconds }
        if scanner.skip(UInt8(ascii: "Z")) || scanner.skip(UInt8(ascii: "z")) {
            return scanner.atEnd ? milliseconds : nil
        }
        let sign: Int
        if scanner.skip(UInt8(ascii: "+")) {
            sign = 1
        } else if scanner.skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let offsetHours = scanner.number(digits: 2), offsetHours <= 23 else { return nil }
        _ = scanner.skip(UInt8(ascii: ":"))
        guard let offsetMinutes = scanner.number(digits: 2), offsetMinutes <= 59, scanner.atEnd else { return nil }
        // A local time east of UTC (+01:00) is earlier in UTC.
        return milliseconds - sign * (offsetHours * millisecondsPerHour + offsetMinutes * 60_000)
    }

    /// `2026-12-04T08:00:00.000Z` for an instant (the log's own format).
    public static func format(_ milliseconds: Int) -> String {
        let days = floorDivide(milliseconds, millisecondsPerDay)
        let inDay = milliseconds - days * millisecondsPerDay
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = inDay / millisecondsPerHour
        let minute = inDay % millisecondsPerHour / 60_000
        let second = inDay % 60_000 / 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + "\(pad(inDay % 1000, 3))Z"
    }

    /// The hour number (hours since the epoch) of an hour key `2026-11-30T08`.
    public static func hourNumber(ofHourKey key: String) -> Int? {
        guard let milliseconds = parseISO8601(key + ":00Z") else { return nil }
        return floorDivide(milliseconds, millisecondsPerHour)
    }

    /// The hour key `2026-11-30T08` of an hour number.
    public static func hourKey(ofHourNumber hour: Int) -> String {
        String(format(hour * millisecondsPerHour).prefix(13))
    }

    // MARK: - Calendar

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days before the first of each month in a common year.
    private static let daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

    /// Days from 1970-01-01 to 1 January of `year` (year >= 1): 365 a year plus one per leap
    /// year in between, leap years counted by the Gregorian rule on whole years before each.
    static func daysBeforeYear(_ year: Int) -> Int {
        func leapYearsThrough(_ last: Int) -> Int { last / 4 - last / 100 + last / 400 }
        return 365 * (year - 1970) + leapYearsThrough(year - 1) - leapYearsThrough(1969)
    }

    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        daysBeforeYear(year) + daysBeforeMonth[month - 1] + (month > 2 && isLeap(year) ? 1 : 0) + day - 1
    }

    /// The inverse of `daysSinceEpoch`.
    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        var year = 1970 + floorDivide(days, 366)
        while daysBeforeYear(year + 1) <= days { year += 1 }
        while daysBeforeYear(year) > days { year -= 1 }
        var dayOfYear = days - daysBeforeYear(year)
        var month = 1
        while dayOfYear >= daysIn(month: month, year: year) {
            dayOfYear -= daysIn(month: month, year: year)
            month += 1
        }
        return (year, month, dayOfYear + 1)
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Reads fixed-width fields left to right.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// Exactly `digits` decimal digits.
        mutating func number(digits: Int) -> Int? {
            guard position + digits <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<digits {
                let byte = bytes[position + offset]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += digits
            return value
        }

        /// One or more digits of a decimal fraction of a second, as whole milliseconds (digits
        /// beyond the third are read and dropped).
        mutating func fractionMilliseconds() -> Int? {
            var milliseconds = 0
            var count = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                if count < 3 { milliseconds = milliseconds * 10 + Int(bytes[position] - UInt8(ascii: "0")) }
                count += 1
                position += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { milliseconds *= 10 }
            return milliseconds
        }
    }
}
