/// The time axis of the report's charts: the span from the first to the last hour of the log,
/// every hour in between included (an hour without records is an empty bar, not a missing one),
/// cut into buckets of 1, 2, 3, 6 or 12 hours or whole days: the smallest size that spans it in
/// `maxBuckets` buckets (one more when the span straddles a bucket boundary, since buckets start
/// on multiples of their size: a day at midnight UTC).
///
/// Why buckets: a month of log is 720 hours, too many bars to read; and a damaged or hostile
/// `ts` (year 0001 beside year 9999) must not make the chart millions of bars wide.
struct HourBuckets: Equatable {
    static let maxBuckets = 168

    /// The first hour of the first bucket (hours since the epoch, a multiple of `hoursPerBucket`).
    let start: Int
    let hoursPerBucket: Int
    let count: Int

    /// Buckets covering `first...last` (hours since the epoch).
    init(first: Int, last: Int) {
        let span = last - first + 1
        var size = [1, 2, 3, 6, 12, 24].first { (span + $0 - 1) / $0 <= Self.maxBuckets } ?? 0
        if size == 0 {
            let days = (span + 23) / 24
            size = 24 * ((days + Self.maxBuckets - 1) / Self.maxBuckets)
        }
        hoursPerBucket = size
        start = ReportTime.floorDivide(first, size) * size
        count = ReportTime.floorDivide(last, size) - ReportTime.floorDivide(first, size) + 1
    }

    /// The bucket an hour falls in.
    func index(of hour: Int) -> Int {
        ReportTime.floorDivide(hour - start, hoursPerBucket)
    }

    /// The first hour of bucket `index`.
    func startHour(of index: Int) -> Int {
        start + index * hoursPerBucket
    }
}
