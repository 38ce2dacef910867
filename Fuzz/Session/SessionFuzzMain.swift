// SessionFuzzMain.swift: the libFuzzer entry point for the whole session state machine.
//
// Built by scripts/fuzz with swiftc directly (not SwiftPM): the pure modules SMTPSession needs
// are compiled as their own modules with -enable-testing, and this directory is compiled
// against them (`@testable import SMTPSession` reads the machine's reply queue and phase).
//
// Why: the session machine is where relayguard decides what a backend that trusts it will
// read. Unit tests check the dialogues someone thought of; this drives the machine with
// whatever libFuzzer invents: client bytes cut anywhere, replies from a model backend with any
// code, multi-line and split, timers, TLS, DNSBL results, EOF, a failing backend, a client
// that stops reading. Each input is a script (`FuzzScript`, `FuzzOperation`) played against
// one session (`FuzzedSession`, `SessionRun`) and a model of the backend (`ModelBackend`).
//
// Invariants, each checked with `invariant` (a precondition that names itself under -O): a
// violation crashes, and libFuzzer keeps the input.
//
// 1. The backend receives only approved command lines, byte-identical: each line ends in CRLF
//    and holds no other CR, LF or NUL; it is relayguard's own (the identity header, first;
//    XCLIENT after the first 220; RSET right before STARTTLS's handshake; `*` cancelling SASL)
//    or exactly a complete line the client sent, in the client's order; its verb (ASCII, any
//    case) is HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT or AUTH, unless it answers the
//    backend's 334; AUTH only inside TLS; nothing is forwarded while a command that ends a
//    pipelining group (RFC 2920) still waits for its reply.
// 2. Message bytes reach the backend only after its 354 to DATA, hold no bare CR, bare LF or
//    NUL, end exactly at CRLF "." CRLF, and are a run of consecutive lines the client sent.
// 3. Nothing reaches the client or the backend after `.closeClient`, nor the backend after
//    `.closeBackend`; `closeClient` is the last action and comes with a `disconnect` record
//    (and the record only with it); `isClosed` agrees; a closed machine ignores every event.
// 4. Every write to the client is exactly one well-formed reply (`DDD-text` lines, a last
//    `DDD text` line, CRLF, one code); the client never has more replies than a greeting, one
//    per line it sent, and one last word at close. At the end of the script the session is
//    let settle (`SessionRun.settleAndWalk`): a client that sent EOF is then disconnected; an
//    open session owes nothing, and its replies pair with the client's lines
//    (`ClientLedger.walk`).
// 5. Bounded: replies owed stay within `maxPipelinedCommands` + 3; an event returns at most a
//    few actions per command it may take; held client input stays near 64 KiB; the machine
//    awaits exactly as many backend replies as the model has not delivered (lockstep); an
//    event that runs long is a hang for libFuzzer's -timeout.

/// libFuzzer calls this once per input. Returns 0 (any other value is reserved by libFuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var script = FuzzScript(Array(UnsafeBufferPointer(start: data, count: size)))
    var run = SessionRun(session: FuzzedSession(&script))
    run.play(&script)
    if !run.isClosed { run.settleAndWalk() }
    return 0
}
