import DecisionLog
@testable import SMTPSession

/// One fuzzed session: the machine, the model backend, the client's ledger, and the I/O
/// driver's part played the way `SessionDriver` plays it: actions performed in order, timers
/// kept, message bytes handed over without a copy, `resume()` on the next turn, no client
/// input while 64 KiB are held. Invariants 3 to 5 of `SessionFuzzMain.swift` are checked
/// here, after every event.
struct SessionRun {
    enum TLSStage: Equatable {
        case plaintext, handshaking, established, failed
    }

    /// A known fault of the machine, tolerated so the fuzzer can look for others: when the
    /// client's EOF comes while a DATA or STARTTLS waits for its reply, and the reply then
    /// moves the session into a message (354) or a TLS handshake (220), the session waits for
    /// input that can no longer come until its client deadline (`data_timeout`,
    /// `command_timeout`) instead of ending once the reply is written. While this is true the
    /// settled session may need that deadline to end; `Fuzz/Session/regressions/` holds the
    /// inputs that show the fault. Set it to false once the machine ends such sessions itself.
    static let toleratesLingerAfterEOF = true

    /// The driver stops reading the client while the machine holds this much.
    static let maxHeldClientBytes = 64 * 1024

    let session: FuzzedSession
    private(set) var machine: SessionMachine
    private(set) var model: ModelBackend
    private(set) var ledger = ClientLedger()
    private var runningTimers: Set<SessionTimer> = []
    private var resumeAsked = false
    private var tls = TLSStage.plaintext
    private var clientClosed = false
    private var backendClosedByMachine = false
    private var clientEnded = false
    private var backlogged = false
    private var dnsblPending: Bool
    private var refusalsCounted = 0
    private var refusalLimitReported = false

    init(session: FuzzedSession) {
        self.session = session
        machine = session.makeMachine()
        model = ModelBackend(identityHeader: session.expectedIdentityHeader,
                             xclientLine: session.identity == .xclient ? session.expectedXCLIENT : nil)
        dnsblPending = session.dnsblPending
    }

    var isClosed: Bool { clientClosed }

    /// Plays the script to its end (or the session's).
    mutating func play(_ script: inout FuzzScript) {
        if !session.defersBackend { connectBackend() }
        while !clientClosed, let operation = FuzzOperation.next(from: &script) {
            apply(operation)
        }
        if clientClosed { checkInertAfterClose() }
    }

    // MARK: Events

    mutating func apply(_ operation: FuzzOperation) {
        switch operation {
        case .client(let bytes, let readSize, let copying):
            var rest = bytes[...]
            while !rest.isEmpty && mayReadClient {
                let read = readSize == 0 ? rest : rest.prefix(readSize)
                rest = rest.dropFirst(read.count)
                clientSent(Array(read), copying: copying)
            }
        case .backendReply(let choice, let shape):
            if model.mayAnswer {
                model.answer(choice: choice, shape: shape)
                // Bits 3-7: how much of the output to deliver now (0 all, 31 none yet).
                let now = Int(shape >> 3)
                if now != 31 { deliverFromBackend(now) }
            } else if choice & 1 == 1, model.writeUnsolicited(choice) {
                deliverFromBackend(0)
            }
        case .backendDeliver(let count):
            deliverFromBackend(count)
        case .timer(let choice):
            let running = SessionTimer.allCases.filter(runningTimers.contains)
            guard !running.isEmpty else { return }
            fire(running[Int(choice) % running.count])
        case .resume:
            guard resumeAsked else { return }
            resumeAsked = false
            perform(machine.resume())
        case .dnsbl(let choice):
            guard dnsblPending else { return }
            dnsblPending = false
            perform(machine.dnsblResolved(session.dnsblResult(choice)))
            // As the driver: the deferred backend link opens now, unless the session ended or
            // refused the client at connect (it closed the link it never opened).
            if session.defersBackend && !clientClosed && !backendClosedByMachine { connectBackend() }
        case .tls(let choice):
            // After the client's EOF no handshake record can arrive: the handshake never ends.
            guard tls == .handshaking, !clientEnded else { return }
            if choice % 4 == 3 {
                tls = .failed
                perform(machine.tlsFailed("handshake failed"))
            } else {
                tls = .established
                model.tlsEstablished = true
                perform(machine.tlsEstablished(protocolName: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384"))
            }
        case .toggleClientBacklog:
            guard !clientClosed else { return }
            backlogged.toggle()
            perform(machine.clientOutputBacklog(backlogged))
        case .clientEOF:
            guard !clientEnded else { return }
            clientEnded = true
            perform(machine.clientClosed())
        case .backendFailure:
            guard model.isOpen else { return }
            model.close()
            perform(machine.backendFailed("backend closed the connection"))
        case .clientRefusalLimit:
            guard refusalsCounted > 0, !refusalLimitReported else { return }
            refusalLimitReported = true
            perform(machine.clientRefusalLimitReached())
        case .shutdown:
            perform(machine.shutdown())
        }
    }

    /// The driver reads the client unless the session ended, the client sent EOF, the TLS
    /// handshake runs (those bytes are TLS records), or the machine holds too much.
    private var mayReadClient: Bool {
        !clientClosed && !clientEnded && tls != .handshaking && tls != .failed && machine.heldClientBytes <= Self.maxHeldClientBytes
    }

    private mutating func clientSent(_ bytes: [UInt8], copying: Bool) {
        ledger.clientSent(bytes)
        if machine.isReceivingMessage && !copying {
            let (forward, actions) = bytes.withUnsafeBytes { machine.receivedMessageBytes($0) }
            invariant((0...bytes.count).contains(forward), "receivedMessageBytes forwards \(forward) of \(bytes.count) bytes")
            perform(actions, forwardedFirst: bytes[0..<forward])
        } else {
            perform(machine.receivedFromClient(bytes))
        }
    }

    private mutating func connectBackend() {
        model.connect()
        perform(machine.backendConnected())
    }

    private mutating func deliverFromBackend(_ count: Int) {
        let bytes = model.deliver(count)
        if !bytes.isEmpty { perform(machine.receivedFromBackend(bytes)) }
    }

    private mutating func fire(_ timer: SessionTimer) {
        invariant(runningTimers.contains(timer), "the fuzzer fired \(timer), which is not running")
        runningTimers.remove(timer)
        perform(machine.timerFired(timer))
    }

    // MARK: Performing

    /// Performs one event's actions as the driver does (after writing `forwardedFirst`, the
    /// in-place part of a no-copy message read, to the backend), checking each, then the state.
    private mutating func perform(_ actions: [SessionAction], forwardedFirst: ArraySlice<UInt8> = []) {
        // Invariant 3: nothing at all once the session closed.
        if clientClosed {
            invariant(actions.isEmpty && forwardedFirst.isEmpty, "the machine acted after the session closed: \(actions)")
            return
        }
        // Invariant 5: one event, a bounded amount of work.
        let mostActions = 8 * (session.settings.maxPipelinedCommands + session.settings.maxCommandsPerTurn) + 32
        invariant(actions.count <= mostActions, "one event returned \(actions.count) actions")
        if !forwardedFirst.isEmpty { sendToBackend(forwardedFirst, internalReset: false) }

        // relayguard's RSET after STARTTLS: its last write to the backend before `.startTLS`.
        let internalReset = actions.firstIndex(of: .startTLS).flatMap { start in
            actions[..<start].lastIndex { if case .sendToBackend = $0 { true } else { false } }
        }
        let closesClient = actions.contains { if case .closeClient = $0 { true } else { false } }
        let logsDisconnect = actions.contains { if case .log(let record) = $0 { record.event == .disconnect } else { false } }
        invariant(closesClient == logsDisconnect, "closeClient without a disconnect record, or the reverse: \(actions)")

        for (index, action) in actions.enumerated() {
            invariant(!clientClosed, "actions after closeClient: \(actions)")
            switch action {
            case .sendToClient(let bytes):
                ledger.clientReceived(bytes)
            case .sendToBackend(let bytes):
                sendToBackend(bytes[...], internalReset: index == internalReset)
            case .setTimer(let timer, let delay):
                invariant(delay >= .zero, "a timer set to \(delay)")
                runningTimers.insert(timer)
            case .cancelTimer(let timer):
                runningTimers.remove(timer)
            case .log(let record):
                invariant(record.session == FuzzedSession.sessionID, "a record of another session")
            case .countRefusal:
                refusalsCounted += 1
            case .blockClient:
                break
            case .resumeNextTurn:
                resumeAsked = true
            case .startTLS:
                invariant(tls == .plaintext, "TLS started twice")
                invariant(session.settings.offerSTARTTLS, "TLS started with no certificate configured")
                tls = .handshaking
                ledger.tlsStarted()
            case .closeBackend:
                invariant(!backendClosedByMachine, "the backend link closed twice")
                backendClosedByMachine = true
                model.close()
            case .closeClient:
                clientClosed = true
                runningTimers.removeAll()
                model.close()
            }
        }
        checkState()
    }

    private mutating func sendToBackend(_ bytes: ArraySlice<UInt8>, internalReset: Bool) {
        // Invariant 3: nothing to the backend after relayguard closed the link, or it failed.
        invariant(!backendClosedByMachine, "bytes sent to the backend after closeBackend: \(ClientLedger.show(bytes))")
        model.receive(bytes, internalReset: internalReset, ledger: &ledger)
    }

    /// After every event: `isClosed` agrees with what was performed (3); the replies owed, the
    /// held input and the client's replies are bounded (4, 5); the machine waits for exactly
    /// the replies the model has not delivered yet (lockstep).
    private func checkState() {
        invariant(machine.isClosed == clientClosed, "isClosed is \(machine.isClosed) but closeClient was\(clientClosed ? "" : " not") performed")
        guard !clientClosed else { return }
        invariant(ledger.replyCodes.count <= ledger.mostRepliesOwed,
                     "\(ledger.replyCodes.count) replies to \(ledger.completeLines) lines: \(ledger.replyCodes)")
        let owed = machine.pending.count
        invariant(owed <= session.settings.maxPipelinedCommands + 3, "\(owed) replies owed to the client")
        invariant(machine.heldClientBytes <= Self.maxHeldClientBytes + 2048, "the machine holds \(machine.heldClientBytes) client bytes")
        if model.isOpen, !awaitingGreeting {
            let awaited = machine.pending.filter(\.isAwaitingBackend).count
            invariant(awaited == model.awaitedByMachine,
                         "the machine awaits \(awaited) backend replies, the backend owes \(model.awaitedByMachine)")
        }
    }

    private var awaitingGreeting: Bool {
        if case .awaitingGreeting = machine.phase { return true }
        return false
    }

    /// Invariant 3, once more: a closed machine ignores every event.
    private mutating func checkInertAfterClose() {
        invariant(machine.receivedFromClient(Array("QUIT\r\n".utf8)).isEmpty, "a closed session took client bytes")
        invariant(machine.receivedFromBackend(Array("250 ok\r\n".utf8)).isEmpty, "a closed session took backend bytes")
        for timer in SessionTimer.allCases {
            invariant(machine.timerFired(timer).isEmpty, "a closed session acted on its \(timer) timer")
        }
        invariant(machine.resume().isEmpty && machine.clientClosed().isEmpty && machine.shutdown().isEmpty,
                     "a closed session acted on an event")
    }

    // MARK: The end of the script

    /// Lets the session settle as a patient client and a well-behaved backend would: every
    /// command answered as a server would, every running tarpit delay expired, the DNSBL
    /// result and the TLS handshake in, `resume()` when asked, the client reading again. The
    /// client sends nothing more. Then, when the session is open and holds no input, the walk
    /// of `ClientLedger` pairs every line with its reply (invariant 4).
    mutating func settleAndWalk() {
        var steps = 0
        while !clientClosed {
            steps += 1
            invariant(steps < 50_000, "the session does not settle")
            if resumeAsked {
                apply(.resume)
            } else if backlogged {
                apply(.toggleClientBacklog)
            } else if dnsblPending {
                apply(.dnsbl(0))
            } else if tls == .handshaking && !clientEnded {
                apply(.tls(0))
            } else if model.hasUndelivered {
                deliverFromBackend(0)
            } else if model.mayAnswer {
                apply(.backendReply(choice: 0, shape: 0))
            } else if runningTimers.contains(.tarpit) {
                fire(.tarpit)
            } else if clientEnded && Self.toleratesLingerAfterEOF && runningTimers.contains(.clientDeadline) {
                fire(.clientDeadline)
            } else {
                break
            }
        }
        if clientClosed {
            checkInertAfterClose()
            return
        }
        invariant(!clientEnded, "the client sent EOF and everything it sent is answered, but the session is still open"
                  + (Self.toleratesLingerAfterEOF ? " after its client deadline" : ""))
        guard !awaitingGreeting else { return }
        invariant(machine.pending.isEmpty, "the session settled with \(machine.pending.count) replies still owed to the client")
        guard machine.heldClientBytes == 0 else { return }
        let inSASL: Bool
        if case .saslResponse = machine.phase { inSASL = true } else { inSASL = false }
        _ = ledger.walk(machineInMessage: machine.isReceivingMessage, machineInSASL: inSASL)
    }
}
