// FuzzMain.swift: the libFuzzer entry point for relayguard's protocol code.
//
// Built by scripts/fuzz with swiftc directly (not SwiftPM), against SMTPProtocol compiled as
// its own module with -enable-testing: the `@testable import` reaches its internal helpers too.
//
// Why fuzz: relayguard reads bytes from strangers and forwards the ones it approves to a
// backend that trusts it. Whatever bytes arrive, the protocol code must neither crash nor
// hang, and what it decides must hold its invariants. Each invariant is a `precondition`,
// so a violation is a crash that libFuzzer reports with the input that caused it.

@testable import SMTPProtocol

/// libFuzzer calls this once per input. Returns 0 (any other value is reserved by libFuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    fuzzReply(bytes)
    fuzzLineFramer(bytes)
    fuzzCommandParser(bytes)
    fuzzPathParser(bytes)
    fuzzDataScanner(bytes)

    return 0
}

/// Reply: any code, enhanced code and lines built from the input render as wire lines that
/// each end in CRLF and start with the code and the right separator.
///
/// Input layout: byte 0 picks the code (200...599), byte 1 whether there is an enhanced code;
/// the rest is split on byte 0x0A into the reply's lines (CR, NUL and non-ASCII are kept, so
/// rendering is exercised with every byte; only LF is impossible inside a line by construction).
func fuzzReply(_ bytes: [UInt8]) {
    guard bytes.count >= 2 else { return }
    let code = 200 + Int(bytes[0]) % 400
    let enhanced: String? = bytes[1] & 1 == 1 ? "\(code / 100).\(bytes[1] / 2 % 10).\(bytes[1] % 7)" : nil
    let lines = bytes[2...].split(separator: 0x0A, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }

    let reply = Reply(code: code, enhanced: enhanced, lines: lines)
    precondition(!reply.lines.isEmpty, "Reply has no lines")
    precondition(reply.code == code, "Reply changed its code")

    let wire = reply.wireBytes
    let codeText = Array(String(code).utf8)
    var rendered: [[UInt8]] = []
    var start = wire.startIndex
    var index = wire.startIndex
    while index < wire.endIndex {
        if wire[index] == 13, index + 1 < wire.endIndex, wire[index + 1] == 10 {
            rendered.append(Array(wire[start..<index]))
            index += 2
            start = index
        } else {
            index += 1
        }
    }
    precondition(start == wire.endIndex, "wireBytes does not end with CRLF")

    // Lines were split on LF, so no line's text holds CR LF: the wire has exactly one line per
    // reply line, each "CODE-" but the last "CODE ", each with the enhanced code when there is one.
    precondition(rendered.count == reply.lines.count, "wireBytes has \(rendered.count) lines for \(reply.lines.count)")
    for (number, line) in rendered.enumerated() {
        precondition(line.count >= 4 && Array(line[0..<3]) == codeText, "line \(number) does not start with the code")
        let separator: UInt8 = number == rendered.count - 1 ? 0x20 : 0x2D
        precondition(line[3] == separator, "wrong separator after the code on line \(number)")
        if let enhanced {
            precondition(Array(line[4...]).starts(with: Array(enhanced.utf8)), "enhanced code missing on line \(number)")
        }
    }
}

/// LineFramer: whatever the bytes and however they are split, every line it returns ends in
/// CRLF, contains no other CR or LF, and is within its limit; the same input fed whole and in
/// pieces gives the same events; the buffer stays bounded.
func fuzzLineFramer(_ bytes: [UInt8]) {
    func frame(_ pieces: [ArraySlice<UInt8>]) -> [FramerEvent] {
        var framer = LineFramer()
        var events: [FramerEvent] = []
        for piece in pieces {
            framer.append(piece)
            while let event = framer.nextEvent() { events.append(event) }
            precondition(framer.bufferedByteCount <= bytes.count, "framer holds more than it was given")
        }
        return events
    }
    let whole = frame([bytes[...]])
    // Split at a point chosen by the input itself, and into 7-byte pieces.
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    precondition(frame([bytes[..<cut], bytes[cut...]]) == whole, "framing depends on where the input was split")
    precondition(frame(stride(from: 0, to: bytes.count, by: 7).map { bytes[$0..<min($0 + 7, bytes.count)] }) == whole,
                 "framing depends on read sizes")
    for event in whole {
        switch event {
        case .line(let line):
            precondition(line.count >= 2 && line[line.count - 2] == 13 && line[line.count - 1] == 10, "line without CRLF")
            precondition(line.count <= LineFramer.mailRecipientLineLimit, "line over every limit")
            let body = line.dropLast(2)
            precondition(!body.contains(13) && !body.contains(10) && !body.contains(0), "defect inside a clean line")
        case .lineTooLong, .malformedLine:
            break
        }
    }
}

/// CommandParser: never crashes; an accepted RCPT or MAIL carries a path within the RFC limits.
func fuzzCommandParser(_ bytes: [UInt8]) {
    for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
        var input = Array(line)
        input.append(contentsOf: [13, 10])
        switch CommandParser.parse(input) {
        case .success(.rcpt(let recipient)):
            precondition(recipient.forwardPath.raw.utf8.count <= 256, "accepted an overlong path")
        case .success, .failure:
            break
        }
    }
}

/// PathParser: never crashes; a parsed mailbox respects the length limits and the raw text
/// is what was between the brackets.
func fuzzPathParser(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for candidate in [text, "<" + text + ">"] {
        if case .success(let mailbox) = PathParser.parseForwardPath(Substring(candidate)) {
            precondition(mailbox.localPart.utf8.count <= 64 + 2 || mailbox.localPartIsQuoted, "local part over 64 octets")
            precondition(candidate.utf8.count <= 256, "path over 256 octets accepted")
        }
        _ = PathParser.parseReversePath(Substring(candidate))
    }
}

/// DataScanner: the end of data is found at the same place however the input is split, and
/// only right after CRLF "." CRLF (or ".\r\n" at the very start).
func fuzzDataScanner(_ bytes: [UInt8]) {
    var whole = DataScanner()
    let result = whole.scan(bytes)
    if result.isEndOfData {
        let end = result.consumed
        precondition(end >= 3, "end of data too early")
        let tail = Array(bytes[(end - 3)..<end])
        precondition(tail == [0x2E, 13, 10], "end of data not after .CRLF")
        precondition(end == 3 || (end >= 5 && bytes[end - 5] == 13 && bytes[end - 4] == 10), "end of data not at a line start")
    }
    var pieces = DataScanner()
    var consumed = 0
    var found = false
    for start in stride(from: 0, to: bytes.count, by: 5) where !found {
        let piece = pieces.scan(bytes[start..<min(start + 5, bytes.count)])
        consumed += piece.consumed
        found = piece.isEndOfData
    }
    precondition(found == result.isEndOfData && (!found || consumed == result.consumed), "end of data depends on read sizes")
    precondition(pieces.defects == whole.defects || found, "defects depend on read sizes")
}
