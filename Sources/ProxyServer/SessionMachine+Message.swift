import DecisionLog
import RelayPolicy
import SMTPProtocol

/// The message phase: after the backend's 354, client bytes are message bytes, forwarded as
/// they arrive, until exactly CRLF "." CRLF (SPEC section 6).
extension SessionMachine {
    /// The backend said 354 and the client has it: what the client sends now is the message.
    mutating func beginMessage() -> [SessionAction] {
        phase = .message
        scanner = DataScanner()
        messageAborted = false
        messageHeldCR = false
        var actions: [SessionAction] = [.setTimer(.clientIdle, settings.dataTimeout)]
        let held = framer.takeBufferedBytes()
        if !held.isEmpty { actions += scanMessage(held[...]) }
        return actions
    }

    /// Scans message bytes: forwards the clean ones, aborts the backend transaction at the
    /// first bare CR, bare LF or NUL, and at the end of data owes the client the reply.
    ///
    /// Why abort rather than pass the defect on: a bare newline is how SMTP smuggling hides a
    /// second message inside the first; a backend that ends data differently from relayguard
    /// would read the smuggled commands as its own. A chunk with a defect is never forwarded,
    /// and the backend link is closed without an end of data, so the message never completes.
    ///
    /// `whole`: the array `bytes` is all of, when it is; a clean chunk is then forwarded as that
    /// array, without a copy.
    mutating func scanMessage(_ bytes: ArraySlice<UInt8>, whole: [UInt8]? = nil) -> [SessionAction] {
        let (inPlace, actions) = bytes.withUnsafeBytes { scanMessage(raw: $0) }
        guard inPlace > 0 else { return actions }
        let forwarded: [UInt8] = if let whole, inPlace == whole.count { whole } else { Array(bytes.prefix(inPlace)) }
        return [.sendToBackend(forwarded)] + actions
    }

    /// Message bytes straight from the driver's read buffer (no copy on the common path).
    /// Returns how many leading bytes of `bytes` the driver must write to the backend as they
    /// are, before it performs the actions.
    public mutating func receivedMessageBytes(_ bytes: UnsafeRawBufferPointer) -> (forward: Int, actions: [SessionAction]) {
        guard phase == .message else {
            return (0, receivedFromClient(Array(bytes)))
        }
        var actions: [SessionAction] = [.setTimer(.clientIdle, settings.dataTimeout)]
        let (inPlace, scanned) = scanMessage(raw: bytes)
        actions += scanned
        actions += pump()
        return (inPlace, actions)
    }

    /// The whole scan, on raw bytes. Returns the count of leading bytes to forward unchanged
    /// (the clean, common case) and the other actions.
    mutating func scanMessage(raw bytes: UnsafeRawBufferPointer) -> (inPlace: Int, actions: [SessionAction]) {
        var actions: [SessionAction] = []
        var inPlace = 0
        let defectsBefore = scanner.defects
        let result = scanner.scan(bytes)
        let messagePart = UnsafeRawBufferPointer(rebasing: bytes[0..<result.consumed])
        if !messageAborted {
            if scanner.defects != defectsBefore {
                messageAborted = true
                messageHeldCR = false
                backendLinkOpen = false
                actions.append(.closeBackend)
                actions.append(.cancelTimer(.backendReply))
            } else if !messageHeldCR && (result.isEndOfData || messagePart.last != 13) {
                inPlace = messagePart.count
            } else {
                // A CR at the end of a chunk may turn out bare with the next byte: it is held
                // back until then, so the backend gets nothing from a defect on, however the
                // client cuts its writes (`\r\n.\r` + `MAIL FROM`).
                var clean: [UInt8] = messageHeldCR ? [13] : []
                clean += messagePart
                messageHeldCR = !result.isEndOfData && clean.last == 13
                if messageHeldCR { clean.removeLast() }
                if !clean.isEmpty { actions.append(.sendToBackend(clean)) }
            }
        }
        guard result.isEndOfData else { return (inPlace, actions) }

        phase = .commands
        holdingInput = true
        framer.append(UnsafeRawBufferPointer(rebasing: bytes[result.consumed...]))
        actions.append(.setTimer(.clientIdle, settings.commandTimeout))
        actions += endOfMessage()
        return (inPlace, actions)
    }

    /// The end of data: owe the client the message's reply.
    mutating func endOfMessage() -> [SessionAction] {
        var actions: [SessionAction] = []
        if messageAborted {
            let refusal = Reply(550, "5.6.0", "Error: message contains bare CR, bare LF or NUL; not accepted")
            var entry = record(.message, reply: refusal, reason: .bareNewline)
            entry.from = sender.map { LogText($0) }
            entry.bytes = scanner.messageBytes
            actions.append(.log(entry))
            pending.append(PendingReply(source: .local(refusal), answering: .local))
            // The backend link is gone with the aborted transaction: end the session cleanly.
            let closing = Reply(421, "4.3.0", "\(settings.hostname) Closing connection after refused message")
            pending.append(PendingReply(source: .local(closing), answering: .local, endsSession: .bareNewline))
        } else {
            pending.append(PendingReply(source: .awaitingBackend, answering: .endOfMessage))
            actions.append(.setTimer(.backendReply, settings.dataTimeout))
        }
        return actions
    }
}
