/// One step of a fuzzed session: an event the I/O driver could hand the session machine.
///
/// Encoding: one byte picks the operation from `table` (byte % 32, so the common ones take
/// more of the byte values); the operation then reads what it needs:
///
/// | operation        | bytes after the operation byte                                          |
/// |------------------|-------------------------------------------------------------------------|
/// | client line      | the bytes up to and including LF (at most 1100), as one read            |
/// | client bytes     | length L, then L bytes, then a byte: read size (low 6 bits, 0 = all in   |
/// |                  | one read) and the message path (bit 6: the copying `receivedFromClient`) |
/// | backend reply    | choice (< 128: the reply a server would give, else a code from a table), |
/// |                  | shape (lines, enhanced code, how much of the output to deliver now)     |
/// | backend deliver  | count (0 = everything the model has written and not yet delivered)      |
/// | timer            | which of the running timers expires                                     |
/// | DNSBL result     | clean, listed or timed out                                              |
/// | TLS              | the handshake completes (or, 1 in 4, fails)                             |
/// | the rest         | nothing                                                                 |
enum FuzzOperation {
    /// Client bytes, in reads of `readSize` (0: one read). `copying`: during a message, hand
    /// them to `receivedFromClient` (as after TLS) rather than the no-copy `receivedMessageBytes`.
    case client([UInt8], readSize: Int, copying: Bool)
    case backendReply(choice: UInt8, shape: UInt8)
    case backendDeliver(count: Int)
    case timer(UInt8)
    case resume
    case dnsbl(UInt8)
    case tls(UInt8)
    case toggleClientBacklog
    case clientEOF
    case backendFailure
    case clientRefusalLimit
    case shutdown

    private enum Kind {
        case clientLine, clientLineCopying, clientBytes, backendReply, backendDeliver, timer, resume, dnsbl, tls
        case toggleClientBacklog, clientEOF, backendFailure, clientRefusalLimit, shutdown
    }

    /// 32 entries: client input and backend replies are the bulk of a session.
    private static let table: [Kind] = [
        .clientLine, .clientLine, .clientLine, .clientLine, .clientLine, .clientLine, .clientLineCopying, .clientLineCopying,
        .clientBytes, .clientBytes, .clientBytes,
        .backendReply, .backendReply, .backendReply, .backendReply, .backendReply, .backendReply, .backendReply,
        .backendDeliver, .backendDeliver,
        .timer, .timer, .timer,
        .resume, .dnsbl, .tls, .tls, .toggleClientBacklog, .clientEOF, .backendFailure, .clientRefusalLimit, .shutdown,
    ]

    /// The next operation, or nil at the end of the script.
    static func next(from script: inout FuzzScript) -> FuzzOperation? {
        guard !script.isFinished else { return nil }
        switch table[Int(script.byte()) % table.count] {
        case .clientLine:
            return .client(script.line(limit: 1100), readSize: 0, copying: false)
        case .clientLineCopying:
            return .client(script.line(limit: 1100), readSize: 0, copying: true)
        case .clientBytes:
            let count = Int(script.byte())
            let bytes = script.bytes(count: count)
            let how = script.byte()
            return .client(bytes, readSize: Int(how & 0x3F), copying: how & 0x40 != 0)
        case .backendReply:
            return .backendReply(choice: script.byte(), shape: script.byte())
        case .backendDeliver:
            return .backendDeliver(count: Int(script.byte()))
        case .timer:
            return .timer(script.byte())
        case .resume:
            return .resume
        case .dnsbl:
            return .dnsbl(script.byte())
        case .tls:
            return .tls(script.byte())
        case .toggleClientBacklog:
            return .toggleClientBacklog
        case .clientEOF:
            return .clientEOF
        case .backendFailure:
            return .backendFailure
        case .clientRefusalLimit:
            return .clientRefusalLimit
        case .shutdown:
            return .shutdown
        }
    }
}
