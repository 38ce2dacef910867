import DecisionLog
import RelayPolicy
import SMTPProtocol

/// The message phase: after the backend's 354, client bytes are message bytes, forwarded as
/// they arrive, until exactly CRLF "." CRLF (docs/ARCHITECTURE.md, protocol safety).
extension SessionMachine {
    /// The backend said 354 and the client has it: what the client sends now is the message.
    mutating func beginMessage() -> [SessionAction] {
        phase = .message(MessageReception())
        var actions: [SessionAction] = [.setTimer(.clientDeadline, settings.dataTimeout)]
        let held = framer.takeBufferedBytes()
        if !held.isEmpty {
            let (inPlace, scanned) = held.withUnsafeBytes { scanMessage(raw: $0) }
            if inPlace > 0 { actions.append(.sendToBackend(Array(held[0..<inPlace]))) }
            actions += scanned
        }
        return actions
    }

    /// Message bytes straight from the driver's read buffer (no copy on the common path).
    /// Returns how many leading bytes of `bytes` the driver must write to the backend as they
    /// are, before it performs the actions.
    public mutating func receivedMessageBytes(_ bytes: UnsafeRawBufferPointer) -> (forward: Int, actions: [SessionAction]) {
        guard isReceivingMessage else {
            return (0, receivedFromClient(Array(bytes)))
        }
        var actions: [SessionAction] = [.setTimer(.clientDeadline, settings.dataTimeout)]
        let (inPlace, scanned) = scanMessage(raw: bytes)
        actions += scanned
        actions += pump()
        return (inPlace, actions)
    }

    /// Scans message bytes: forwards the clean ones, aborts the backend transaction at the
    /// first bare CR, bare LF or NUL, and at the end of data owes the client the reply.
    /// Returns the count of leading bytes to forward unchanged (the clean, common case) and
    /// the other actions.
    ///
    /// Why abort rather than pass the defect on: a bare newline is how SMTP smuggling hides a
    /// second message inside the first; a backend that ends data differently from relayguard
    /// would read the smuggled commands as its own. A chunk with a defect is never forwarded,
    /// and the backend link is closed without an end of data, so the message never completes.
    mutating func scanMessage(raw bytes: UnsafeRawBufferPointer) -> (inPlace: Int, actions: [SessionAction]) {
        guard case .message(var reception) = phase else { return (0, []) }
        var actions: [SessionAction] = []
        var inPlace = 0
        let defectsBefore = reception.scanner.defects
        let result = reception.scanner.scan(bytes)
        let messagePart = UnsafeRawBufferPointer(rebasing: bytes[0..<result.consumed])
        if !reception.aborted {
            if reception.scanner.defects != defectsBefore {
                reception.aborted = true
                reception.heldCR = false
                backendLinkOpen = false
                actions.append(.closeBackend)
                actions.append(.cancelTimer(.backendReply))
            } else if !reception.heldCR && (result.isEndOfData || messagePart.last != 13) {
                inPlace = messagePart.count
            } else {
                // A CR at the end of a chunk may turn out bare with the next byte: it is held
                // back until then, so the backend gets nothing from a defect on, however the
                // client cuts its writes (`\r\n.\r` + `MAIL FROM`).
                var clean: [UInt8] = reception.heldCR ? [13] : []
                clean += messagePart
                reception.heldCR = !result.isEndOfData && clean.last == 13
                if reception.heldCR { clean.removeLast() }
                if !clean.isEmpty { actions.append(.sendToBackend(clean)) }
            }
        }
        guard result.isEndOfData else {
            phase = .message(reception)
            return (inPlace, actions)
        }

        phase = .commands
        framer.append(UnsafeRawBufferPointer(rebasing: bytes[result.consumed...]))
        actions.append(.setTimer(.clientDeadline, settings.commandTimeout))
        actions += endOfMessage(reception)
        return (inPlace, actions)
    }

    /// The end of data: owe the client the message's reply. Nothing pipelined after it is
    /// read before that reply is written.
    mutating func endOfMessage(_ reception: MessageReception) -> [SessionAction] {
        let bytes = reception.scanner.messageBytes
        guard reception.aborted else {
            pending.append(PendingReply(source: .awaitingBackend, answering: .endOfMessage(bytes: bytes), endsGroup: true))
            return [.setTimer(.backendReply, settings.dataTimeout)]
        }
        let refusal = LocalReply.refusedMessage
        var entry = record(.message, reply: refusal, reason: .bareNewline)
        entry.from = dialogue.transaction.sender.map { LogText($0) }
        entry.bytes = bytes
        dialogue.transaction = .none
        pending.append(.local(refusal))
        // The backend link is gone with the aborted transaction: end the session cleanly.
        pending.append(.local(LocalReply.closingAfterRefusedMessage(settings.hostname), endsGroup: true, endsSession: .bareNewline))
        return [.log(entry)]
    }
}
