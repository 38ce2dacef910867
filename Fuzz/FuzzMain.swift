// FuzzMain.swift: the libFuzzer entry point for relayguard's protocol code.
//
// Built by scripts/fuzz with swiftc directly (not SwiftPM), in the same module as
// Sources/SMTPProtocol/*.swift: that is why there is no `import SMTPProtocol` here, and why
// internal helpers are reachable too.
//
// Why fuzz: relayguard reads bytes from strangers and forwards the ones it approves to a
// backend that trusts it. Whatever bytes arrive, the protocol code must neither crash nor
// hang, and what it decides must hold its invariants. Each invariant is a `precondition`,
// so a violation is a crash that libFuzzer reports with the input that caused it.

/// libFuzzer calls this once per input. Returns 0 (any other value is reserved by libFuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    fuzzReply(bytes)

    // FUZZ TARGETS: add one call per protocol component here, each in its own function below,
    // e.g. fuzzLineFramer(bytes), fuzzCommandParser(bytes), fuzzPathParser(bytes), once those
    // types exist in Sources/SMTPProtocol.

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
