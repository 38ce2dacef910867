/// What the client sent and what it was told, kept independently of the session machine, so
/// the fuzzer can judge what the machine forwards and writes.
///
/// The client's bytes are cut into lines exactly where SMTP cuts them: after each CRLF (a bare
/// CR or LF stays inside its line). A line forwarded to the backend must be one of these lines,
/// byte for byte, taken in order; a message must be a run of consecutive lines. At STARTTLS
/// the plaintext stream ends: an unfinished line is dropped (the machine discards it with the
/// rest of the pipelined plaintext) and the lines after the handshake start afresh.
///
/// Every write to the client is checked as one whole, well-formed reply and its code kept, for
/// the count of replies and for the closing walk (`walk`), which pairs each line with its reply.
struct ClientLedger {
    enum Piece: Equatable {
        case line([UInt8])
        /// The TLS handshake: the plaintext before it is over.
        case tlsBoundary
    }

    private(set) var pieces: [Piece] = []
    /// Bytes after the last CRLF.
    private(set) var unfinishedLine: [UInt8] = []
    private(set) var completeLines = 0
    /// Pieces before this index were matched by a forwarded line or message.
    private var matchedUpTo = 0
    /// The code of every reply written to the client, in order.
    private(set) var replyCodes: [Int] = []

    static let endOfData: [UInt8] = [0x2E, 13, 10]

    // MARK: What the client sent

    mutating func clientSent(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            unfinishedLine.append(byte)
            if byte == 10, unfinishedLine.count >= 2, unfinishedLine[unfinishedLine.count - 2] == 13 {
                pieces.append(.line(unfinishedLine))
                completeLines += 1
                unfinishedLine = []
            }
        }
    }

    mutating func tlsStarted() {
        unfinishedLine = []
        pieces.append(.tlsBoundary)
    }

    /// Whether `line` is a line the client sent after the last one matched; matches it.
    mutating func matchLine(_ line: [UInt8]) -> Bool {
        var index = matchedUpTo
        while index < pieces.count {
            if pieces[index] == .line(line) {
                matchedUpTo = index + 1
                return true
            }
            index += 1
        }
        return false
    }

    /// Whether `lines` are consecutive lines the client sent after the last one matched;
    /// matches them. (Greedy, earliest first: if any placement exists, this finds one.)
    mutating func matchRun(_ lines: [[UInt8]]) -> Bool {
        guard !lines.isEmpty else { return true }
        var start = matchedUpTo
        while start + lines.count <= pieces.count {
            if lines.indices.allSatisfy({ pieces[start + $0] == .line(lines[$0]) }) {
                matchedUpTo = start + lines.count
                return true
            }
            start += 1
        }
        return false
    }

    // MARK: What the client was told

    /// One write to the client: exactly one reply, each line `DDD-text` or (the last)
    /// `DDD text`, one code throughout (2xx to 5xx), no CR, LF or NUL in the text, CRLF after
    /// each line.
    mutating func clientReceived(_ bytes: [UInt8]) {
        invariant(bytes.count >= 6 && bytes[bytes.count - 2] == 13 && bytes[bytes.count - 1] == 10,
                     "a write to the client that does not end in CRLF: \(Self.show(bytes))")
        var code: [UInt8]? = nil
        var start = 0
        var ended = false
        while start < bytes.count {
            invariant(!ended, "a write to the client holds more than one reply: \(Self.show(bytes))")
            var end = start
            while !(bytes[end] == 13 && end + 1 < bytes.count && bytes[end + 1] == 10) { end += 1 }
            let line = bytes[start..<end]
            invariant(line.count >= 4, "a reply line shorter than its code: \(Self.show(bytes))")
            let lineCode = Array(line.prefix(3))
            invariant((50...53).contains(lineCode[0]) && lineCode[1...].allSatisfy { (48...57).contains($0) },
                         "a reply line without a code 2xx-5xx: \(Self.show(bytes))")
            invariant(code == nil || code == lineCode, "a reply with two codes: \(Self.show(bytes))")
            code = lineCode
            let separator = line[line.startIndex + 3]
            invariant(separator == 0x20 || separator == 0x2D, "a reply line without ' ' or '-' after its code: \(Self.show(bytes))")
            ended = separator == 0x20
            invariant(!line.dropFirst(4).contains { $0 == 13 || $0 == 10 || $0 == 0 },
                         "CR, LF or NUL inside a reply line: \(Self.show(bytes))")
            start = end + 2
        }
        invariant(ended, "a reply whose last line says '-' (more to come): \(Self.show(bytes))")
        replyCodes.append(code!.reduce(0) { $0 * 10 + Int($1 - 48) })
    }

    /// Most replies the client may have had by now: the greeting (or a refusal at connect),
    /// one per line it sent (a line still unfinished counts: an overlong one is refused before
    /// its end), and one unsolicited last word (a 421 or 451 at close).
    var mostRepliesOwed: Int { 1 + completeLines + (unfinishedLine.isEmpty ? 0 : 1) + 1 }

    // MARK: The closing walk

    enum WalkMode: Equatable {
        case commands
        /// After a 334 to AUTH: the next line is a SASL response.
        case saslResponse
        /// After a 354 to DATA: lines up to "." get one reply together.
        case message
        /// After the 220 to STARTTLS: the rest of the plaintext gets none.
        case discardingPlaintext
    }

    /// Pairs each line with its reply, once the session is quiet (nothing owed, nothing held):
    /// the greeting first; then each command line exactly one reply; a DATA answered 354, the
    /// message lines up to "." one reply together; a line after a 334 to AUTH (or to a SASL
    /// response) is a SASL response, one reply; plaintext after a STARTTLS answered 220, none.
    /// Every reply is accounted for, and the walk ends where the machine is (in a message, in
    /// a SASL exchange, or reading commands). Returns false when it cannot judge: the last line
    /// is unfinished while commands are read (an overlong line is refused before its end).
    func walk(machineInMessage: Bool, machineInSASL: Bool) -> Bool {
        invariant(!replyCodes.isEmpty, "the session reads commands but the client was never greeted")
        var next = 1
        var mode = WalkMode.commands
        for piece in pieces {
            switch piece {
            case .tlsBoundary:
                invariant(mode == .discardingPlaintext, "TLS began, but no STARTTLS was answered 220 before it")
                mode = .commands
            case .line(let line):
                switch mode {
                case .discardingPlaintext:
                    continue
                case .message:
                    if line == Self.endOfData {
                        invariant(next < replyCodes.count, "a message ended by \".\" got no reply")
                        next += 1
                        mode = .commands
                    }
                case .commands, .saslResponse:
                    invariant(next < replyCodes.count, "the client's line \(Self.show(line)) got no reply")
                    let code = replyCodes[next]
                    next += 1
                    if mode == .saslResponse {
                        mode = code == 334 ? .saslResponse : .commands
                        continue
                    }
                    switch (Self.verb(line), code) {
                    case ("DATA", 354): mode = .message
                    case ("AUTH", 334): mode = .saslResponse
                    case ("STARTTLS", 220): mode = .discardingPlaintext
                    default: break
                    }
                }
            }
        }
        if !unfinishedLine.isEmpty && (mode == .commands || mode == .saslResponse) { return false }
        invariant(next == replyCodes.count,
                     "\(replyCodes.count - next) more replies than the client's lines ask for (codes \(replyCodes))")
        invariant((mode == .message) == machineInMessage, "the machine and the walk disagree about being in a message")
        invariant((mode == .saslResponse) == machineInSASL, "the machine and the walk disagree about a SASL exchange")
        invariant(mode != .discardingPlaintext, "a STARTTLS answered 220 but no TLS handshake followed")
        return true
    }

    /// A line's verb as SMTP reads it: up to the first space, without the CRLF, ASCII upper case.
    static func verb(_ line: [UInt8]) -> String {
        var content = line[...]
        if content.count >= 2 && content.suffix(2).elementsEqual([13, 10]) { content = content.dropLast(2) }
        let word = content.prefix { $0 != 0x20 }
        return String(decoding: word.map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// Bytes for a failure message: printable ASCII as it is, the rest escaped, at most 300.
    static func show(_ bytes: some Collection<UInt8>) -> String {
        var text = "\""
        for byte in bytes.prefix(300) {
            switch byte {
            case 13: text += "\\r"
            case 10: text += "\\n"
            case 0x22: text += "\\\""
            case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
            default: text += "\\x" + String(byte, radix: 16)
            }
        }
        return text + (bytes.count > 300 ? "...\"" : "\"")
    }
}
