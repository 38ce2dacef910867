import LogReport

/// Cuts a byte stream into lines for the summary, with the line limit of `LogLineReader`.
struct LogLineSplitter {
    let source: String
    private var pending: [UInt8] = []
    private var lineNumber = 0
    /// True while skipping the rest of an over-long line.
    private var discarding = false

    init(source: String) {
        self.source = source
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>, into summary: inout LogSummary) {
        var rest = bytes
        while let newline = rest.firstIndex(of: 0x0A) {
            let piece = rest[rest.startIndex..<newline]
            rest = rest[(newline + 1)...]
            lineNumber += 1
            if discarding {
                discarding = false
                pending.removeAll(keepingCapacity: true)
                continue
            }
            if pending.isEmpty {
                summary.add(line: piece, at: LineLocation(source: source, line: lineNumber))
            } else {
                pending.append(contentsOf: piece)
                if pending.count > LogLineReader.maxLineLength {
                    summary.addUnreadable(at: LineLocation(source: source, line: lineNumber))
                } else {
                    summary.add(line: pending, at: LineLocation(source: source, line: lineNumber))
                }
                pending.removeAll(keepingCapacity: true)
            }
        }
        guard !discarding else { return }
        pending.append(contentsOf: rest)
        if pending.count > LogLineReader.maxLineLength {
            // Counted now, under the number the line will have; the rest of it is skipped.
            summary.addUnreadable(at: LineLocation(source: source, line: lineNumber + 1))
            pending = []
            discarding = true
        }
    }

    /// The last line, when the input does not end with LF.
    mutating func finish(into summary: inout LogSummary) {
        guard !discarding, !pending.isEmpty else { return }
        lineNumber += 1
        summary.add(line: pending, at: LineLocation(source: source, line: lineNumber))
        pending = []
    }
}
