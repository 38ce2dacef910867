import Testing
@testable import SMTPProtocol

/// One message as the client sends it after the 354, possibly followed by pipelined commands.
struct DataScanCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    /// Offset just after the final LF, or nil when the data does not end in `bytes`.
    let endOfData: Int?
    let defects: MessageDefects

    init(_ name: String, _ text: String, endOfData: Int?, defects: MessageDefects = []) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.endOfData = endOfData
        self.defects = defects
    }

    var testDescription: String { name }
}

/// What a whole scan of some chunks came to.
private struct DataScanOutcome: Equatable {
    var forwarded: [UInt8]
    var leftOver: [UInt8]
    var isEndOfData: Bool
    var defects: MessageDefects
    var messageBytes: Int
}

/// Feeds `chunks` in order, as the session would: once the end is found, the rest of that chunk and
/// the chunks after it are left over for the command framer.
private func scanInChunks(_ chunks: [ArraySlice<UInt8>]) -> DataScanOutcome {
    var scanner = DataScanner()
    var outcome = DataScanOutcome(forwarded: [], leftOver: [], isEndOfData: false, defects: [], messageBytes: 0)
    for chunk in chunks {
        if outcome.isEndOfData {
            outcome.leftOver += chunk
            continue
        }
        let result = scanner.scan(chunk)
        #expect(result.consumed <= chunk.count)
        #expect(result.consumed == chunk.count || result.isEndOfData, "stopped early without an end")
        outcome.forwarded += chunk.prefix(result.consumed)
        outcome.leftOver += chunk.dropFirst(result.consumed)
        outcome.isEndOfData = result.isEndOfData
        outcome.defects = result.defects
        #expect(scanner.defects == result.defects)
        #expect(scanner.isEndOfData == result.isEndOfData)
    }
    outcome.messageBytes = scanner.messageBytes
    return outcome
}

private func expectedOutcome(_ testCase: DataScanCase) -> DataScanOutcome {
    let end = testCase.endOfData ?? testCase.bytes.count
    return DataScanOutcome(forwarded: Array(testCase.bytes[..<end]), leftOver: Array(testCase.bytes[end...]),
                           isEndOfData: testCase.endOfData != nil, defects: testCase.defects, messageBytes: end)
}

/// Prefix and suffix around each smuggling variant: a message, then a whole second transaction that a
/// lax MTA would read as commands from relayguard's (trusted) address.
private let smugglePrefix = "From: a@example.org\r\nSubject: hi\r\n\r\nhello"
private let smuggleSuffix = "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nbody\r\n"

private func smuggled(_ name: String, _ variant: String, _ defects: MessageDefects) -> DataScanCase {
    DataScanCase("smuggling " + name, smugglePrefix + variant + smuggleSuffix, endOfData: nil, defects: defects)
}

private let smugglingCases: [DataScanCase] = [
    smuggled("LF.LF", "\n.\n", .bareLF),
    smuggled("LF.CRLF", "\n.\r\n", .bareLF),
    smuggled("CRLF.LF", "\r\n.\n", .bareLF),
    smuggled("CR.CR", "\r.\r", .bareCR),
    smuggled("CRLF.CR", "\r\n.\r", .bareCR),
    smuggled("LF.CR", "\n.\r", [.bareLF, .bareCR]),
    smuggled("CR.LF", "\r.\n", [.bareCR, .bareLF]),
    smuggled("CR.CRLF", "\r.\r\n", .bareCR),
    smuggled("CRLF.CRCRLF", "\r\n.\r\r\n", .bareCR),
    smuggled("CRLF NUL.CRLF", "\r\n\0.\r\n", .nul),
    smuggled("CRLF.NUL CRLF", "\r\n.\0\r\n", .nul),
    smuggled("LF LF.LF LF", "\n\n.\n\n", .bareLF),
    smuggled("CR CR.CR CR", "\r\r.\r\r", .bareCR),
    DataScanCase("smuggling .LF at start of data", ".\n" + smuggleSuffix, endOfData: nil, defects: .bareLF),
    DataScanCase("smuggling .CR at start of data", ".\r" + smuggleSuffix, endOfData: nil, defects: .bareCR),
    DataScanCase("smuggling LF.LF at start of data", "\n.\n" + smuggleSuffix, endOfData: nil, defects: .bareLF),
    DataScanCase("smuggling NUL.CRLF at start of data", "\0.\r\n" + smuggleSuffix, endOfData: nil, defects: .nul),
]

private let endOfDataCases: [DataScanCase] = [
    DataScanCase("empty message", ".\r\n", endOfData: 3),
    DataScanCase("empty message then QUIT", ".\r\nQUIT\r\n", endOfData: 3),
    DataScanCase("one empty line", "\r\n.\r\n", endOfData: 5),
    DataScanCase("simple message", "Subject: x\r\n\r\nbody\r\n.\r\n", endOfData: 23),
    DataScanCase("pipelined commands after the end", "body\r\n.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n",
                 endOfData: 9),
    DataScanCase("second end sequence is left over", "a\r\n.\r\n.\r\n", endOfData: 6),
    DataScanCase("dot-stuffed line", "..hidden\r\n.\r\n", endOfData: 13),
    DataScanCase("dot-stuffed lone dot", "a\r\n..\r\nb\r\n.\r\n", endOfData: 13),
    DataScanCase("dot then text", ".foo\r\n.\r\n", endOfData: 9),
    DataScanCase("space before dot is not the end", "a\r\n .\r\n", endOfData: nil),
    DataScanCase("dot space is not the end", "a\r\n. \r\n", endOfData: nil),
    DataScanCase("partial end sequence", "a\r\n.\r", endOfData: nil),
    DataScanCase("partial end sequence at start", ".\r", endOfData: nil),
    DataScanCase("no data yet", "", endOfData: nil),
    DataScanCase("bare CR before a real end", "a\r\r\n.\r\n", endOfData: 7, defects: .bareCR),
    DataScanCase("bare LF before a real end", "a\n\r\n.\r\n", endOfData: 7, defects: .bareLF),
    DataScanCase("NUL before a real end", "a\0b\r\n.\r\n", endOfData: 8, defects: .nul),
    DataScanCase("bare LF at start of data", "\nabc\r\n.\r\n", endOfData: 9, defects: .bareLF),
    DataScanCase("bare LF after the end is not seen", "a\r\n.\r\nb\nc\r\n", endOfData: 6),
    DataScanCase("long lines", String(repeating: "0123456789abcdef", count: 20) + "\r\n" + String(repeating: "x", count: 77)
                 + "\r\n.\r\n", endOfData: 320 + 2 + 77 + 5),
    DataScanCase("NUL deep in a long line", String(repeating: "a", count: 37) + "\0" + String(repeating: "b", count: 19) + "\r\n.\r\n",
                 endOfData: 62, defects: .nul),
]

/// Smuggling variants followed by the real end of data: the end is found, the defect stays.
private let smugglingThenEndCases: [DataScanCase] = smugglingCases.map {
    let text = String(decoding: $0.bytes, as: UTF8.self) + ".\r\nQUIT\r\n"
    return DataScanCase($0.name + ", then the real end", text, endOfData: $0.bytes.count + 3, defects: $0.defects)
}

private let allDataScanCases = endOfDataCases + smugglingCases + smugglingThenEndCases

@Suite("DataScanner")
struct DataScannerTests {
    @Test("end of data and defects in one chunk", arguments: endOfDataCases)
    func oneChunk(_ testCase: DataScanCase) {
        #expect(scanInChunks([testCase.bytes[...]]) == expectedOutcome(testCase))
    }

    @Test("smuggling variant: no end, defect flagged", arguments: smugglingCases)
    func smugglingVariant(_ testCase: DataScanCase) {
        var scanner = DataScanner()
        let result = scanner.scan(testCase.bytes)
        #expect(!result.isEndOfData)
        #expect(result.consumed == testCase.bytes.count)
        #expect(result.defects == testCase.defects)
        #expect(!testCase.defects.isEmpty)
    }

    @Test("smuggling variant then the real end", arguments: smugglingThenEndCases)
    func smugglingThenEnd(_ testCase: DataScanCase) {
        let outcome = scanInChunks([testCase.bytes[...]])
        #expect(outcome == expectedOutcome(testCase))
        #expect(outcome.leftOver == Array("QUIT\r\n".utf8))
    }

    @Test("split at every position gives the same result", arguments: allDataScanCases)
    func everySplit(_ testCase: DataScanCase) {
        let expected = expectedOutcome(testCase)
        let bytes = testCase.bytes
        for split in 0...bytes.count {
            #expect(scanInChunks([bytes[..<split], bytes[split...]]) == expected, "split at \(split)")
        }
        #expect(scanInChunks(bytes.indices.map { bytes[$0...$0] }) == expected, "one-byte chunks")
    }

    @Test("split at every pair of positions gives the same result", arguments: endOfDataCases.filter { $0.bytes.count <= 40 })
    func everyDoubleSplit(_ testCase: DataScanCase) {
        let expected = expectedOutcome(testCase)
        let bytes = testCase.bytes
        for first in 0...bytes.count {
            for second in first...bytes.count {
                let chunks = [bytes[..<first], bytes[first..<second], bytes[second...]]
                #expect(scanInChunks(chunks) == expected, "split at \(first) and \(second)")
            }
        }
    }

    /// Every way to cut "a\r\n.\r\nNOOP\r\n" into chunks (2^11 of them): each split of the
    /// end sequence, including chunks that are only "\r", only "\n" or only ".".
    @Test("every chunking of a short message with pipelined NOOP")
    func everyChunking() {
        let bytes = Array("a\r\n.\r\nNOOP\r\n".utf8)
        let expected = DataScanOutcome(forwarded: Array(bytes[..<6]), leftOver: Array(bytes[6...]),
                                       isEndOfData: true, defects: [], messageBytes: 6)
        for cuts in 0..<(1 << (bytes.count - 1)) {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            for position in 1..<bytes.count where cuts & (1 << (position - 1)) != 0 {
                chunks.append(bytes[start..<position])
                start = position
            }
            chunks.append(bytes[start...])
            #expect(scanInChunks(chunks) == expected, "cuts \(cuts)")
        }
    }

    @Test("nothing is consumed after the end of data")
    func afterEnd() {
        var scanner = DataScanner()
        #expect(scanner.scan(Array(".\r\n".utf8)) == DataScanResult(consumed: 3, isEndOfData: true, defects: []))
        #expect(scanner.scan(Array("RSET\r\n".utf8)) == DataScanResult(consumed: 0, isEndOfData: true, defects: []))
        #expect(scanner.messageBytes == 3)
    }

    @Test("empty chunk consumes nothing and keeps state")
    func emptyChunk() {
        var scanner = DataScanner()
        #expect(scanner.scan(Array("a\r".utf8)).consumed == 2)
        #expect(scanner.scan([UInt8]()) == DataScanResult(consumed: 0, isEndOfData: false, defects: []))
        #expect(scanner.scan(Array("\n.\r\n".utf8)) == DataScanResult(consumed: 4, isEndOfData: true, defects: []))
    }

    @Test("the raw-buffer entry point agrees with the array one")
    func rawBuffer() {
        let bytes = Array("x\ny\r\n.\r\nQUIT\r\n".utf8)
        var scanner = DataScanner()
        let result = bytes.withUnsafeBytes { scanner.scan($0) }
        #expect(result == DataScanResult(consumed: 8, isEndOfData: true, defects: .bareLF))
    }

    /// Random messages over the bytes that matter, against a plain reference reading of the rules,
    /// in one chunk and in random chunks.
    @Test("random messages agree with the reference rules")
    func randomAgainstReference() {
        var random = SplitMix64(seed: 0x5eed_2023_12_18)
        let alphabet: [UInt8] = Array("\r\n.\0ab".utf8)
        for round in 0..<3000 {
            let length = Int(random.next() % (round < 2000 ? 24 : 200))
            var bytes: [UInt8] = []
            for _ in 0..<length {
                // Mostly letters in long messages, to exercise the eight-byte skipping.
                if round >= 2000, random.next() % 8 != 0 { bytes.append(UInt8(ascii: "x")); continue }
                bytes.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
            }
            let expected = referenceScan(bytes)
            #expect(scanInChunks([bytes[...]]) == expected, "\(bytes)")
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + Int(random.next() % 9))
                chunks.append(bytes[start..<end])
                start = end
            }
            #expect(scanInChunks(chunks) == expected, "\(bytes) in chunks")
        }
    }
}

/// The rules read plainly: the end is the first CRLF "." CRLF, counting the start of data as just
/// after a CRLF; defects are judged over the message bytes (a CR at the very end waits for its next byte).
private func referenceScan(_ bytes: [UInt8]) -> DataScanOutcome {
    let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    let framed = [cr, lf] + bytes
    let terminator: [UInt8] = [cr, lf, UInt8(ascii: "."), cr, lf]
    var end: Int?
    if framed.count >= 5 {
        for start in 0...(framed.count - 5) where Array(framed[start..<start + 5]) == terminator {
            end = start + 5 - 2
            break
        }
    }
    let limit = end ?? bytes.count
    var defects: MessageDefects = []
    for index in 0..<limit {
        let byte = bytes[index]
        if byte == 0 { defects.insert(.nul) }
        if byte == cr, index + 1 < limit, bytes[index + 1] != lf { defects.insert(.bareCR) }
        if byte == lf, index == 0 || bytes[index - 1] != cr { defects.insert(.bareLF) }
    }
    return DataScanOutcome(forwarded: Array(bytes[..<limit]), leftOver: Array(bytes[limit...]),
                           isEndOfData: end != nil, defects: defects, messageBytes: limit)
}

/// A small deterministic generator, so a failing case can be replayed.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_133A_111D
        return z ^ (z >> 31)
    }
}
