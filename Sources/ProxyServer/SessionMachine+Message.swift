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
    /// array, without a copy (the common case, on every read of every message).
    mutating func scanMessage(_ bytes: ArraySlice<UInt8>, whole: [UInt8]? = nil) -> [SessionAction] {
        var actions: [SessionAction] = []
        let defectsBefore = scanner.defects
        let result = scanner.scan(bytes)
        let messagePart = bytes.prefix(result.consumed)
        if !messageAborted {
            if scanner.defects != defectsBefore {
                messageAborted = true
                messageHeldCR = false
                backendLinkOpen = false
                actions.append(.closeBackend)
                actions.append(.cancelTimer(.backendReply))
            } else if !messageHeldCR && (result.isEndOfData || messagePart.last != 13) {
                if let whole, messagePart.count == whole.count {
                    actions.append(.sendToBackend(whole))
                } else if !messagePart.isEmpty {
                    actions.append(.sendToBackend(Array(messagePart)))
                }
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
        guard result.isEndOfData else { return actions }

        phase = .commands
        holdingInput = true
        framer.append(bytes.dropFirst(result.consumed))
        actions.append(.setTimer(.clientIdle, settings.commandTimeout))
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
