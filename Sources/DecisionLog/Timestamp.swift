/// A point in time for the decision log: milliseconds since the Unix epoch, UTC.
///
/// The caller supplies it (the pure log module reads no clock), and `iso8601` renders it the way
/// relayguard(8), DECISION LOG fixes the `ts` field: `2026-11-30T08:00:00.123Z`, exactly three fractional
/// digits, always UTC with `Z`.
///
/// Why our own calendar code: the module imports neither Foundation nor Glibc. Howard Hinnant's
/// `civil_from_days` / `days_from_civil` algorithms (proleptic Gregorian calendar, exact for every
/// day, leap years included) do the conversion in a handful of integer operations.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Milliseconds since 1970-01-01T00:00:00.000Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The timestamp of a UTC civil date and time (proleptic Gregorian calendar).
    /// Fields are not range-checked beyond what the arithmetic implies: month 1...12, day 1...31.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        let days = Int64(Timestamp.daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour) * 3_600 + Int64(minute) * 60 + Int64(second)
        self.millisecondsSinceEpoch = seconds * 1_000 + Int64(millisecond)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
    public var iso8601: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The civil (UTC) fields of this timestamp.
    public var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        let (days, msOfDay) = Timestamp.floorDivide(millisecondsSinceEpoch, 86_400_000)
        let date = Timestamp.civilFromDays(Int(days))
        let ms = Int(msOfDay)
        return (date.year, date.month, date.day, ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60, ms % 1_000)
    }

    /// Appends `iso8601` as ASCII bytes, without building a String.
    func appendISO8601(to out: inout [UInt8]) {
        let c = civil
        if c.year < 0 {
            out.append(UInt8(ascii: "-"))
        }
        JSONLineEncoder.appendDecimal(UInt64(c.year.magnitude), minimumDigits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        JSONLineEncoder.appendDecimal(UInt64(c.month), minimumDigits: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        JSONLineEncoder.appendDecimal(UInt64(c.day), minimumDigits: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        JSONLineEncoder.appendDecimal(UInt64(c.hour), minimumDigits: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        JSONLineEncoder.appendDecimal(UInt64(c.minute), minimumDigits: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        JSONLineEncoder.appendDecimal(UInt64(c.second), minimumDigits: 2, to: &out)
        out.append(UInt8(ascii: "."))
        JSONLineEncoder.appendDecimal(UInt64(c.millisecond), minimumDigits: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Floor division and the matching non-negative remainder.
    private static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    /// Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
    static func civilFromDays(_ daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097                                               // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100) // [0, 365], from March 1
        let mp = (5 * dayOfYear + 2) / 153                                              // [0, 11], March = 0
        let day = dayOfYear - (153 * mp + 2) / 5 + 1                                    // [1, 31]
        let month = mp < 10 ? mp + 3 : mp - 9                                           // [1, 12]
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Hinnant's `days_from_civil`: (year, month, day) to days since 1970-01-01.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                                   // [0, 399]
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1   // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear    // [0, 146096]
        return era * 146_097 + dayOfEra - 719_468
    }
}
