/// A checked invariant of the fuzzer. Like `precondition`, but it names the broken invariant
/// in optimised builds too (`precondition` traps silently under -O), so libFuzzer's report
/// says what went wrong: `Fatal error: <message>`.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// An invariant broken wherever this is reached.
func invariantFailure(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
