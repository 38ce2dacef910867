import Testing
import DecisionLog

@Suite("Timestamp")
struct TimestampTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var milliseconds: Int64
        var iso8601: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "the epoch", milliseconds: 0, iso8601: "1970-01-01T00:00:00.000Z"),
        Case(name: "one millisecond after the epoch", milliseconds: 1, iso8601: "1970-01-01T00:00:00.001Z"),
        Case(name: "first leap day after the epoch, 1972-02-29", milliseconds: 68_212_800_000, iso8601: "1972-02-29T12:00:00.000Z"),
        Case(name: "last millisecond of 1999", milliseconds: 946_684_799_999, iso8601: "1999-12-31T23:59:59.999Z"),
        Case(name: "2000-02-29, a leap day of a year divisible by 400", milliseconds: 951_782_400_000, iso8601: "2000-02-29T00:00:00.000Z"),
        Case(name: "leap day 2024, last millisecond", milliseconds: 1_709_251_199_999, iso8601: "2024-02-29T23:59:59.999Z"),
        Case(name: "day 366 of leap year 2024", milliseconds: 1_735_689_599_999, iso8601: "2024-12-31T23:59:59.999Z"),
        Case(name: "the man pages example", milliseconds: 1_796_025_600_123, iso8601: "2026-11-30T08:00:00.123Z"),
        Case(name: "last second of 32-bit time_t", milliseconds: 2_147_483_647_000, iso8601: "2038-01-19T03:14:07.000Z"),
        Case(name: "first second past 32-bit time_t", milliseconds: 2_147_483_648_000, iso8601: "2038-01-19T03:14:08.000Z"),
        Case(name: "past 32-bit unsigned time_t", milliseconds: 4_294_967_296_000, iso8601: "2106-02-07T06:28:16.000Z"),
        Case(name: "2100 is not a leap year: Feb 28 is followed by Mar 1", milliseconds: 4_107_542_399_999, iso8601: "2100-02-28T23:59:59.999Z"),
        Case(name: "2100-03-01", milliseconds: 4_107_542_400_000, iso8601: "2100-03-01T00:00:00.000Z"),
        Case(name: "2400-02-29, divisible by 400 again", milliseconds: 13_574_563_200_000, iso8601: "2400-02-29T00:00:00.000Z"),
        Case(name: "last millisecond of year 9999", milliseconds: 253_402_300_799_999, iso8601: "9999-12-31T23:59:59.999Z"),
    ]

    @Test("renders epoch milliseconds as ISO 8601 UTC with three fractional digits", arguments: cases)
    func rendersISO8601(_ testCase: Case) {
        #expect(Timestamp(millisecondsSinceEpoch: testCase.milliseconds).iso8601 == testCase.iso8601)
    }

    @Test("the civil-date initializer is the inverse of the rendering", arguments: cases)
    func civilInitializerInverts(_ testCase: Case) {
        let timestamp = Timestamp(millisecondsSinceEpoch: testCase.milliseconds)
        let civil = timestamp.civil
        let rebuilt = Timestamp(year: civil.year, month: civil.month, day: civil.day,
                                hour: civil.hour, minute: civil.minute, second: civil.second,
                                millisecond: civil.millisecond)
        #expect(rebuilt == timestamp)
    }

    @Test("every day from 1970 to 2500 round-trips and follows the previous day")
    func everyDayRoundTrips() {
        var previous = Timestamp(millisecondsSinceEpoch: 0).civil
        let days = Timestamp(year: 2500, month: 1, day: 1).millisecondsSinceEpoch / 86_400_000
        var failures = 0
        for day in 1..<days {
            let timestamp = Timestamp(millisecondsSinceEpoch: day * 86_400_000 + 43_200_000)
            let civil = timestamp.civil
            let sameDay = Timestamp(year: civil.year, month: civil.month, day: civil.day, hour: 12)
            let nextInMonth = civil.year == previous.year && civil.month == previous.month && civil.day == previous.day + 1
            let nextMonth = civil.day == 1 && (civil.year == previous.year ? civil.month == previous.month + 1
                                                                          : civil.year == previous.year + 1 && civil.month == 1 && previous.month == 12)
            if sameDay != timestamp || !(nextInMonth || nextMonth) || civil.hour != 12 {
                failures += 1
            }
            previous = civil
        }
        #expect(failures == 0)
    }

    struct LeapCase: CustomTestStringConvertible, Sendable {
        var year: Int
        var isLeap: Bool
        var testDescription: String { "\(year) \(isLeap ? "is" : "is not") a leap year" }
    }

    @Test("February 29 exists exactly in leap years", arguments: [
        LeapCase(year: 1970, isLeap: false), LeapCase(year: 1972, isLeap: true),
        LeapCase(year: 1900, isLeap: false), LeapCase(year: 2000, isLeap: true),
        LeapCase(year: 2023, isLeap: false), LeapCase(year: 2024, isLeap: true),
        LeapCase(year: 2038, isLeap: false), LeapCase(year: 2040, isLeap: true),
        LeapCase(year: 2100, isLeap: false), LeapCase(year: 2400, isLeap: true),
    ])
    func leapDays(_ testCase: LeapCase) {
        let civil = Timestamp(year: testCase.year, month: 2, day: 29).civil
        #expect((civil.month == 2 && civil.day == 29) == testCase.isLeap)
        #expect((civil.month == 3 && civil.day == 1) == !testCase.isLeap)
    }

    @Test("timestamps order by time")
    func ordering() {
        let earlier = Timestamp(millisecondsSinceEpoch: 1_796_025_600_123)
        let later = Timestamp(millisecondsSinceEpoch: 1_796_025_600_124)
        #expect(earlier < later)
        #expect(!(later < earlier))
        #expect([later, earlier].sorted() == [earlier, later])
    }
}
