/// One coloured series of a chart and its legend entry.
struct ChartSeries: Equatable {
    var name: String
    /// A CSS colour, `#1b9e77`.
    var color: String

    /// Distinct colours that stay apart for the colour-blind and on grey print; the last is the
    /// grey of "other".
    static let palette = ["#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1",
                          "#ff9da7", "#9c755f", "#8cd17d", "#d37295", "#a0cbe8"]
    static let otherColor = "#bab0ac"
    /// Accepted decisions are green whatever their rank.
    static let acceptedColor = "#59a14f"
}
