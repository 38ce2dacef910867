/// The value axis of a chart: from zero to a round maximum in round steps (1, 2 or 5 times a
/// power of ten), so tick labels read `0 5 10 15 20`, never `0 4.6 9.2`.
struct ChartScale: Equatable {
    let maximum: Double
    let step: Double

    /// About `ticks` steps from zero to at least `largest`; whole steps only when `integral`
    /// (a count of sessions has no half).
    init(largest: Double, ticks: Int = 5, integral: Bool = false) {
        guard largest > 0, largest.isFinite else {
            maximum = 1
            step = largest > 0 ? 1 : 0.5
            return
        }
        let rough = largest / Double(ticks)
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let multiple = [1.0, 2.0, 5.0, 10.0].first { $0 * magnitude >= rough } ?? 10
        let step = integral ? max(multiple * magnitude, 1) : multiple * magnitude
        self.step = step
        maximum = (largest / step).rounded(.up) * step
    }

    /// The tick values, zero first.
    var ticks: [Double] {
        let count = Int((maximum / step).rounded())
        return (0...count).map { Double($0) * step }
    }

    /// A tick label: whole numbers with `k` / `M` for thousands and millions, fractions when the
    /// step is below one.
    func label(_ value: Double) -> String {
        if value >= 1_000_000 { return ChartScale.decimal(value / 1_000_000, digits: 2) + "M" }
        if value >= 10_000 { return ChartScale.decimal(value / 1000, digits: 1) + "k" }
        return ChartScale.decimal(value, digits: step >= 1 ? 0 : 2)
    }

    /// `value` with at most `digits` decimals, trailing zeros dropped.
    static func decimal(_ value: Double, digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let whole = scaled / scale
        var fraction = String(scaled % scale)
        guard digits > 0, scaled % scale != 0 else { return String(whole) }
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}
