import RelayPolicy

/// The SMTP server behind relayguard, as the fuzzer models it: it reads what the session
/// machine sends, keeps the commands awaiting replies in order, and answers when the script
/// says, with the reply a server would give or any code the script picks, in one line or
/// several, delivered in pieces. After its own 354 to DATA it reads the message up to CRLF "."
/// CRLF.
///
/// It is also the judge of what reaches the backend (invariants 1 and 2 of
/// `SessionFuzzMain.swift`): every check is an `invariant` (a precondition).
struct ModelBackend {
    /// What a line the model read waits for.
    enum Awaited: Equatable {
        case greeting
        case xclient
        /// A client command, by its verb (upper case).
        case command(String)
        case saslResponse
        /// `*`: the SASL exchange cancelled.
        case saslCancel
        /// The RSET relayguard sends after STARTTLS.
        case internalReset
        case endOfMessage

        /// Nothing may be forwarded after it before its reply (RFC 2920 last in group; the
        /// greeting; a SASL step; relayguard's RSET; the end of a message).
        var endsGroup: Bool {
            switch self {
            case .command(let verb): verb != "MAIL" && verb != "RCPT" && verb != "RSET"
            case .greeting, .xclient, .saslResponse, .saslCancel, .internalReset, .endOfMessage: true
            }
        }
    }

    enum Link: Equatable {
        case notConnected, open, closed
    }

    /// The only verbs relayguard forwards.
    static let forwardedVerbs: Set<String> = ["HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "AUTH"]

    /// Reply codes the script may pick instead of the natural one.
    static let codes = [220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503, 504,
                        530, 535, 550, 551, 552, 553, 554, 555]

    private let identityHeader: [UInt8]?
    /// The XCLIENT command expected after the greeting (`xclient`), else nil.
    private let xclientLine: [UInt8]?
    private(set) var link = Link.notConnected
    /// Lines read and not yet answered.
    private(set) var unanswered: [Awaited] = []
    /// Answered, but the reply not yet all delivered: `end` is its last byte's position in
    /// the output stream.
    private var inFlight: [(awaited: Awaited, end: Int)] = []
    /// Replies written and not yet delivered.
    private var output: [UInt8] = []
    private var written = 0
    private var delivered = 0
    private var greeted = false
    private var expectingHeader: Bool
    private var expectingXCLIENT = false
    private var expectingSASL = false
    /// The client is inside TLS (AUTH is allowed only there).
    var tlsEstablished = false
    /// A line being read, outside a message.
    private var line: [UInt8] = []
    private var inMessage = false
    private var message: [UInt8] = []
    private var messageLine: [UInt8] = []

    init(identityHeader: [UInt8]?, xclientLine: [UInt8]?) {
        self.identityHeader = identityHeader
        self.xclientLine = xclientLine
        expectingHeader = identityHeader != nil
    }

    /// Replies the session machine still waits for: not answered, or not all delivered.
    var awaitedByMachine: Int { unanswered.count + inFlight.count }
    var hasUndelivered: Bool { !output.isEmpty }
    var mayAnswer: Bool { link == .open && !unanswered.isEmpty }
    var isOpen: Bool { link == .open }

    mutating func connect() {
        invariant(link == .notConnected, "the fuzzer connected the model twice")
        link = .open
        unanswered = [.greeting]
    }

    /// The link is closed (by relayguard, or by the backend's failure): nothing more is read
    /// or delivered.
    mutating func close() {
        link = .closed
        output = []
        inFlight = []
        unanswered = []
    }

    // MARK: Reading

    /// Bytes relayguard sends. `internalReset`: this write is the RSET relayguard sends after
    /// STARTTLS (the last write to the backend before `.startTLS` in the same action list).
    mutating func receive(_ bytes: some Collection<UInt8>, internalReset: Bool, ledger: inout ClientLedger) {
        invariant(link == .open, "bytes sent to the backend when its link is \(link): \(ClientLedger.show(bytes))")
        if expectingHeader {
            invariant(bytes.elementsEqual(identityHeader!),
                         "the backend's first bytes are not the identity header: \(ClientLedger.show(bytes))")
            expectingHeader = false
            return
        }
        if internalReset {
            invariant(!inMessage && line.isEmpty && bytes.elementsEqual(Array("RSET\r\n".utf8)),
                         "relayguard's write before STARTTLS is not RSET: \(ClientLedger.show(bytes))")
            checkNothingEndsGroup(before: "RSET after STARTTLS")
            unanswered.append(.internalReset)
            return
        }
        for byte in bytes {
            if inMessage {
                readMessage(byte, ledger: &ledger)
                continue
            }
            line.append(byte)
            if byte == 10 {
                readLine(ledger: &ledger)
                line = []
            }
        }
        invariant(line.isEmpty, "a write to the backend ends inside a command line: \(ClientLedger.show(line))")
    }

    /// Invariant 1: a command line ends in CRLF and holds no other CR, LF or NUL; it is
    /// relayguard's own (XCLIENT, `*`) or a line the client sent, in order; its verb is one
    /// relayguard forwards (a SASL response aside); AUTH only inside TLS.
    private mutating func readLine(ledger: inout ClientLedger) {
        let body = line.dropLast(2)
        invariant(line.count >= 2 && line[line.count - 2] == 13, "a line to the backend ends in a bare LF: \(ClientLedger.show(line))")
        invariant(!body.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "a line to the backend holds CR, LF or NUL: \(ClientLedger.show(line))")
        if expectingXCLIENT {
            invariant(line == xclientLine!, "relayguard's line after the backend's 220 is not its XCLIENT: \(ClientLedger.show(line))")
            expectingXCLIENT = false
            unanswered.append(.xclient)
            return
        }
        checkNothingEndsGroup(before: ClientLedger.show(line))
        if expectingSASL {
            expectingSASL = false
            // `*` may be relayguard's own cancel (of a response it refused) or the client's.
            if line == Array("*\r\n".utf8) {
                unanswered.append(.saslCancel)
                return
            }
            invariant(ledger.matchLine(line), "a SASL response the client never sent (or out of order): \(ClientLedger.show(line))")
            unanswered.append(.saslResponse)
            return
        }
        let verb = ClientLedger.verb(line)
        invariant(Self.forwardedVerbs.contains(verb), "the backend received a \(verb) command: \(ClientLedger.show(line))")
        invariant(verb != "AUTH" || tlsEstablished, "AUTH reached the backend outside TLS")
        invariant(ledger.matchLine(line), "the backend received a line the client never sent (or out of order): \(ClientLedger.show(line))")
        unanswered.append(.command(verb))
    }

    /// Nothing is forwarded while a command that ends a pipelining group waits for its reply.
    private func checkNothingEndsGroup(before what: String) {
        let waiting = unanswered + inFlight.map(\.awaited)
        if let blocker = waiting.first(where: \.endsGroup) {
            invariantFailure("\(what) reached the backend before the reply to \(blocker)")
        }
    }

    /// Invariant 2: message bytes hold no NUL, bare CR or bare LF; the message ends at the
    /// first CRLF "." CRLF (its start counts as a line start) and is a run of the client's lines.
    private mutating func readMessage(_ byte: UInt8, ledger: inout ClientLedger) {
        invariant(byte != 0, "NUL in a message sent to the backend")
        if messageLine.last == 13 {
            invariant(byte == 10, "a bare CR in a message sent to the backend: \(ClientLedger.show(messageLine))")
        } else {
            invariant(byte != 10, "a bare LF in a message sent to the backend: \(ClientLedger.show(messageLine))")
        }
        message.append(byte)
        messageLine.append(byte)
        guard byte == 10 else { return }
        defer { messageLine = [] }
        guard messageLine == ClientLedger.endOfData else { return }
        var lines: [[UInt8]] = []
        var start = 0
        for index in message.indices where message[index] == 10 {
            lines.append(Array(message[start...index]))
            start = index + 1
        }
        invariant(ledger.matchRun(lines),
                     "a message the client never sent as such (or out of order): \(ClientLedger.show(message))")
        inMessage = false
        message = []
        unanswered.append(.endOfMessage)
    }

    // MARK: Answering

    /// Answers the oldest line read: `choice` < 128 the reply a server would give, else a code
    /// from `codes`. `shape`: bits 0-1 extra lines, bit 2 an enhanced code (`X.1.1`: a 550
    /// to RCPT is then "unknown user"), bit 5 a second challenge (334) to a SASL response; for
    /// a 250 to EHLO its bits leave out extensions instead. (The caller reads bits 3-7 as how
    /// much to deliver at once.)
    mutating func answer(choice: UInt8, shape: UInt8) {
        invariant(mayAnswer, "the fuzzer answered with nothing to answer")
        let awaited = unanswered.removeFirst()
        let code = choice < 128 ? Self.naturalCode(awaited, shape: shape) : Self.codes[Int(choice) % Self.codes.count]
        var lines: [String]
        if awaited == .command("EHLO") && code == 250 {
            let extensions = ["PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN", "CHUNKING", "XCLIENT NAME ADDR",
                              "8BITMIME", "ENHANCEDSTATUSCODES", "BINARYMIME", "SMTPUTF8"]
            lines = ["mx.model.example"] + extensions.enumerated().filter { (Int(shape) >> ($0.offset % 8)) & 1 == 0 || $0.offset < 2 }.map(\.element)
        } else {
            lines = ["model reply \(code)"]
            for extra in 0..<Int(shape & 3) { lines.append("continued \(extra + 1)") }
        }
        let enhanced = shape & 4 != 0 && code >= 250 && code != 334 && code != 354 ? "\(code / 100).1.1 " : ""
        var reply: [UInt8] = []
        for (index, text) in lines.enumerated() {
            reply += Array("\(code)\(index == lines.count - 1 ? " " : "-")\(enhanced)\(text)\r\n".utf8)
        }
        switch awaited {
        case .greeting:
            greeted = true
            if code == 220, xclientLine != nil { expectingXCLIENT = true }
        case .command("DATA") where code == 354:
            inMessage = true
        case .command("AUTH") where code == 334, .saslResponse where code == 334:
            expectingSASL = true
        case .xclient, .command, .saslResponse, .saslCancel, .internalReset, .endOfMessage:
            break
        }
        write(reply, answering: awaited)
    }

    /// An unsolicited reply (Postfix's 421 at its own timeout or shutdown), when nothing is
    /// awaited.
    mutating func writeUnsolicited(_ choice: UInt8) -> Bool {
        guard link == .open, greeted, unanswered.isEmpty, inFlight.isEmpty, !inMessage, !expectingXCLIENT else { return false }
        let code = [421, 421, 250, 554][Int(choice >> 1) % 4]
        output += Array("\(code) 4.4.2 mx.model.example Error: timeout exceeded\r\n".utf8)
        written = delivered + output.count
        return true
    }

    private mutating func write(_ reply: [UInt8], answering awaited: Awaited) {
        output += reply
        written += reply.count
        inFlight.append((awaited, written))
    }

    /// Takes up to `count` bytes of the output (0: all) for delivery to relayguard.
    mutating func deliver(_ count: Int) -> [UInt8] {
        guard link == .open else { return [] }
        let taken = count == 0 ? output.count : min(count, output.count)
        let bytes = Array(output.prefix(taken))
        output.removeFirst(taken)
        delivered += taken
        while let first = inFlight.first, first.end <= delivered { inFlight.removeFirst() }
        return bytes
    }

    /// The reply a server would give.
    static func naturalCode(_ awaited: Awaited, shape: UInt8) -> Int {
        switch awaited {
        case .greeting, .xclient: 220
        case .command("DATA"): 354
        case .command("QUIT"): 221
        case .command("AUTH"): 334
        case .saslResponse: shape & 0x20 != 0 ? 334 : 235
        case .saslCancel: 501
        case .command, .internalReset, .endOfMessage: 250
        }
    }
}
