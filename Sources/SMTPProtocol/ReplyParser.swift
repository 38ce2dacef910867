/// Incremental reader of the backend MTA's replies (RFC 5321 section 4.2).
///
/// relayguard pipelines commands to the backend (Postfix or Exim), so one read may hold several
/// replies and one reply may be split across reads. Feed every read with `append(_:)`, then call
/// `nextReply()` until it returns nil (more bytes needed).
///
/// A reply is one or more lines `CODE-text` ending with a line `CODE text` (or a bare `CODE`);
/// every line of a multi-line reply must carry the same code. Lines end with CRLF; a bare LF
/// from the backend is tolerated and, like CRLF, kept out of the text.
///
/// The enhanced status code (RFC 3463, e.g. `2.0.0`) is split off the text when the first line
/// carries one whose class matches the reply code's first digit; it is then also removed from
/// every other line that starts with the same code. `ParsedReply.raw` keeps the bytes exactly as
/// received, for relaying to the client unchanged.
///
/// Why the limits: the backend is trusted to speak SMTP but not to be bug-free; a backend that
/// sends endless lines or endless continuation lines must not grow relayguard's memory without
/// bound. RFC 5321 section 4.5.3.1.5 allows 512 octets per reply line; the limits are generous.
public struct ReplyParser: Sendable {
    /// Longest accepted reply line, line end included.
    public static let maxLineLength = 4096
    /// Most lines accepted in one multi-line reply.
    public static let maxLinesPerReply = 100

    /// Bytes received and not yet returned as part of a reply (from `replyStart`).
    private var buffer: [UInt8] = []
    /// Index in `buffer` of the first byte of the reply being read.
    private var replyStart = 0
    /// Index in `buffer` of the first byte of the line being read.
    private var lineStart = 0
    /// Index in `buffer` up to which the current line was searched for its LF.
    private var searched = 0
    /// Code of the lines read so far of the current reply, nil before its first line.
    private var pendingCode: Int?
    /// Where in `buffer` the text of each line read so far of the current reply is
    /// (code and separator removed). Ranges, not slices: a slice would share the buffer's
    /// storage and make every `append` copy it.
    private var pendingTexts: [Range<Int>] = []
    /// Set once a reply could not be parsed: the stream is out of step for good.
    private var failure: ReplyParseError?

    public init() {}

    /// Adds bytes read from the backend.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or nil when more bytes are needed.
    ///
    /// After an error the parser is failed: every later call throws the same error.
    public mutating func nextReply() throws(ReplyParseError) -> ParsedReply? {
        if let failure { throw failure }
        do {
            return try readReply()
        } catch {
            failure = error
            throw error
        }
    }

    /// True when bytes of an incomplete reply are waiting (for example when the backend closes
    /// the connection in the middle of a reply).
    public var hasPartialReply: Bool { replyStart < buffer.count }

    private mutating func readReply() throws(ReplyParseError) -> ParsedReply? {
        while true {
            guard let lf = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) else {
                searched = buffer.count
                // The line will be at least one octet longer (its LF).
                if buffer.count - lineStart + 1 > Self.maxLineLength { throw .lineTooLong }
                return nil
            }
            if lf + 1 - lineStart > Self.maxLineLength { throw .lineTooLong }
            var end = lf
            if end > lineStart, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let (code, isLast, text) = try Self.parseLine(buffer[lineStart..<end])
            if let first = pendingCode, first != code { throw .mixedCodes(first: first, then: code) }
            pendingCode = code
            pendingTexts.append(text.startIndex..<text.endIndex)
            if pendingTexts.count > Self.maxLinesPerReply { throw .tooManyLines }
            lineStart = lf + 1
            searched = lineStart
            if isLast {
                let parsed = ParsedReply(reply: Self.makeReply(code: code, texts: pendingTexts.map { buffer[$0] }),
                                         raw: Array(buffer[replyStart..<lineStart]))
                replyStart = lineStart
                pendingCode = nil
                pendingTexts.removeAll(keepingCapacity: true)
                return parsed
            }
        }
    }

    /// Splits one line (without its line end) into code, "is the last line", and text.
    private static func parseLine(_ line: ArraySlice<UInt8>) throws(ReplyParseError) -> (Int, Bool, ArraySlice<UInt8>) {
        guard line.count >= 3 else { throw .malformedLine }
        var code = 0
        for byte in line.prefix(3) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformedLine }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        let isLast: Bool
        let separator = line.index(line.startIndex, offsetBy: 3)
        if separator == line.endIndex {
            isLast = true
        } else if line[separator] == UInt8(ascii: " ") {
            isLast = true
        } else if line[separator] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .malformedLine
        }
        guard (200...599).contains(code) else { throw .codeOutOfRange(code) }
        let text = separator == line.endIndex ? line[line.endIndex...] : line[(separator + 1)...]
        for byte in text where byte == 0 || byte == UInt8(ascii: "\r") { throw .invalidCharacter }
        return (code, isLast, text)
    }

    /// Builds the `Reply`, splitting off the first line's enhanced status code.
    private static func makeReply(code: Int, texts: [ArraySlice<UInt8>]) -> Reply {
        guard let first = texts.first, let enhancedLength = enhancedCodeLength(first, code: code) else {
            return Reply(code: code, enhanced: nil, lines: texts.map { String(decoding: $0, as: UTF8.self) })
        }
        let enhanced = first.prefix(enhancedLength)
        let lines = texts.map { text -> String in
            guard text.starts(with: enhanced) else { return String(decoding: text, as: UTF8.self) }
            let rest = text.dropFirst(enhancedLength)
            if rest.isEmpty { return "" }
            guard rest.first == UInt8(ascii: " ") else { return String(decoding: text, as: UTF8.self) }
            return String(decoding: rest.dropFirst(), as: UTF8.self)
        }
        return Reply(code: code, enhanced: String(decoding: enhanced, as: UTF8.self), lines: lines)
    }

    /// Length of the RFC 3463 status code `class.subject.detail` at the start of `text`, when
    /// there is one followed by a space or the end of the line and its class is the code's first digit.
    ///
    /// Why the class must match: a greeting such as `220 2.example.net` or an EHLO host name is
    /// not an enhanced code, and RFC 3463 requires the class to agree with the reply code.
    static func enhancedCodeLength(_ text: ArraySlice<UInt8>, code: Int) -> Int? {
        var index = text.startIndex
        guard index < text.endIndex, text[index] == UInt8(ascii: "0") + UInt8(code / 100) else { return nil }
        index += 1
        for _ in 0..<2 {
            guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return nil }
            index += 1
            var digits = 0
            while index < text.endIndex, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") {
                digits += 1
                index += 1
            }
            guard (1...3).contains(digits) else { return nil }
        }
        guard index == text.endIndex || text[index] == UInt8(ascii: " ") else { return nil }
        return index - text.startIndex
    }

    /// Drops the bytes of replies already returned, so the buffer does not grow with the session.
    private mutating func compact() {
        guard replyStart > 0, replyStart == buffer.count || replyStart >= 4096 || replyStart * 2 >= buffer.count else { return }
        let shift = replyStart
        buffer.removeSubrange(0..<shift)
        replyStart = 0
        lineStart -= shift
        searched -= shift
        pendingTexts = pendingTexts.map { ($0.lowerBound - shift)..<($0.upperBound - shift) }
    }
}

/// One complete reply read from the backend MTA by `ReplyParser`.
public struct ParsedReply: Hashable, Sendable {
    /// The reply: code, enhanced status code (when the first line carries one) and text lines.
    public var reply: Reply
    /// The exact bytes received for this reply, all lines and line ends included,
    /// for forwarding to the client unchanged.
    public var raw: [UInt8]

    public init(reply: Reply, raw: [UInt8]) {
        self.reply = reply
        self.raw = raw
    }
}

/// Why the backend MTA's reply stream could not be read as RFC 5321 replies.
///
/// Every case means the backend is broken or is not an SMTP server: the session driver maps
/// any of them, in one place, to `451 4.3.0` (or `421 4.3.0` at the greeting) and drops the backend.
/// The parser stays failed after throwing: the same error is thrown again on every later call.
public enum ReplyParseError: Error, Hashable, Sendable {
    /// A line longer than `ReplyParser.maxLineLength` octets (line end included), or
    /// that many octets received without a line end.
    case lineTooLong
    /// More than `ReplyParser.maxLinesPerReply` lines in one multi-line reply.
    case tooManyLines
    /// A line that does not start with three digits followed by `-`, space or the line end.
    case malformedLine
    /// A reply code outside 200...599 (RFC 5321 section 4.2: the first digit is 2 to 5).
    case codeOutOfRange(Int)
    /// A line of a multi-line reply with another code than the first line's.
    case mixedCodes(first: Int, then: Int)
    /// A NUL or a CR that does not end the line: these could break the client's framing
    /// if the text were relayed.
    case invalidCharacter
}
