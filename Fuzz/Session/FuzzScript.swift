/// The fuzzer's input, read front to back as a script: a few bytes of settings, then one
/// operation after another until the bytes run out. Past the end every read is 0, so any
/// input, however short or long, is a valid script.
///
/// Why a script rather than a structure: libFuzzer mutates bytes (and inserts the words of
/// `Fuzz/smtp.dict`); with one byte per operation and client lines kept as plain text up to
/// their LF, most mutations still decode to a meaningful session, and a seed reads almost like
/// the SMTP dialogue it plays.
struct FuzzScript {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isFinished: Bool { offset >= bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes (fewer at the end).
    mutating func bytes(count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// The bytes up to and including the next LF, at most `limit` of them.
    mutating func line(limit: Int) -> [UInt8] {
        let end = min(bytes.count, offset + limit)
        var index = offset
        while index < end {
            index += 1
            if bytes[index - 1] == 10 { break }
        }
        defer { offset = index }
        return Array(bytes[offset..<index])
    }
}
