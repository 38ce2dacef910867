import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

/// An echo service: each accepted client gets its bytes back; the reader pauses while more than
/// `highWater` bytes wait to be written (backpressure) and closes after the client's FIN.
private func startEcho(loop: EventLoop, highWater: Int = 256 * 1024) throws -> Listener {
    try loopbackListener(loop: loop) { connection in
        connection.onRead = { bytes in
            connection.write(bytes)
            if connection.pendingWriteBytes > highWater { connection.pauseReading() }
        }
        connection.onWriteQueueDrained = { connection.resumeReading() }
        connection.onEndOfInput = { connection.closeAfterFlush() }
        connection.onError = { _ in connection.close() }
    }
}

extension IOLayerTests {
    @Suite("BufferedConnection")
    struct BufferedConnectionTests {
        @Test("echo round trip of 1 MB, with partial writes queued")
        func echoOneMegabyte() async throws {
            struct Outcome: Sendable { var received: [UInt8]; var queuedAfterFirstWrite: Int; var drained: Int }
            let sent = patternBytes(1 << 20)
            let outcome: Outcome = try await onLoopThread { loop, finish in
                let echo = try startEcho(loop: loop)
                OutboundConnector.connect(to: echo.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                    var outcome = Outcome(received: [], queuedAfterFirstWrite: 0, drained: 0)
                    client.onRead = { outcome.received.append(contentsOf: $0) }
                    client.onWriteQueueDrained = { outcome.drained += 1 }
                    client.onEndOfInput = {
                        client.close()
                        echo.close()
                        finish(outcome)
                    }
                    client.onError = { Issue.record("client: \($0)") }
                    try? limitSendBuffer(client)
                    client.write(sent)
                    outcome.queuedAfterFirstWrite = client.pendingWriteBytes
                    client.shutdownOutput()
                }
            }
            #expect(outcome.queuedAfterFirstWrite > 0, "the kernel took 1 MB at once; partial writes not exercised")
            #expect(outcome.drained >= 1)
            #expect(outcome.received.count == sent.count)
            #expect(outcome.received == sent)
        }

        @Test("200 concurrent connections each get their own bytes back")
        func twoHundredClients() async throws {
            let mismatches: [Int] = try await onLoopThread { loop, finish in
                let echo = try startEcho(loop: loop)
                var open = 200
                var mismatches: [Int] = []
                var clients: [BufferedConnection] = []
                for number in 0..<200 {
                    let greeting = Array("EHLO client\(number).example.org\r\n".utf8)
                    OutboundConnector.connect(to: echo.address, timeout: .seconds(5), loop: loop) { result in
                        guard case .success(let client) = result else { Issue.record("connect \(number): \(result)"); return }
                        clients.append(client)
                        var received: [UInt8] = []
                        client.onRead = { received.append(contentsOf: $0) }
                        client.onEndOfInput = {
                            if received != greeting { mismatches.append(number) }
                            client.close()
                            open -= 1
                            if open == 0 {
                                echo.close()
                                finish(mismatches)
                            }
                        }
                        client.write(greeting)
                        client.shutdownOutput()
                    }
                }
            }
            #expect(mismatches == [])
        }

        @Test("backpressure: a paused reader makes the writer queue; resuming drains it")
        func backpressure() async throws {
            struct Outcome: Sendable {
                var queuedWhilePaused = 0
                var readWhilePaused = 0
                var totalRead = 0
                var drainedCalls = 0
            }
            let total = 2 << 20
            let outcome: Outcome = try await onLoopThread { loop, finish in
                var outcome = Outcome()
                var server: BufferedConnection?
                var client: BufferedConnection?
                func finishIfDone() {
                    guard outcome.totalRead == total, outcome.drainedCalls > 0 else { return }
                    server?.close()
                    client?.close()
                    finish(outcome)
                }
                let listener = try loopbackListener(loop: loop) { accepted in
                    server = accepted
                    accepted.pauseReading()
                    accepted.onRead = { outcome.totalRead += $0.count; finishIfDone() }
                }
                OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let connected) = result else { Issue.record("connect: \(result)"); return }
                    listener.close()
                    client = connected
                    try? limitSendBuffer(connected)
                    connected.onWriteQueueDrained = { outcome.drainedCalls += 1; finishIfDone() }
                    connected.write(patternBytes(total))
                    // Give the kernel time to fill both socket buffers, then look and resume.
                    loop.schedule(after: .milliseconds(100)) {
                        outcome.queuedWhilePaused = connected.pendingWriteBytes
                        outcome.readWhilePaused = outcome.totalRead
                        server?.resumeReading()
                    }
                }
            }
            #expect(outcome.queuedWhilePaused > 0)
            #expect(outcome.readWhilePaused == 0)
            #expect(outcome.totalRead == total)
            #expect(outcome.drainedCalls == 1)
        }

        @Test("half-close: the peer's FIN is reported after its data, and the reply still flows")
        func halfClose() async throws {
            struct Outcome: Sendable { var serverEvents: [String]; var clientReceived: String }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                var serverEvents: [String] = []
                let listener = try loopbackListener(loop: loop) { server in
                    server.onRead = { serverEvents.append("read " + String(decoding: $0, as: UTF8.self)) }
                    server.onEndOfInput = {
                        serverEvents.append("end of input")
                        server.write("221 2.0.0 Bye\r\n")
                        server.closeAfterFlush()
                    }
                }
                OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                    var received: [UInt8] = []
                    client.onRead = { received.append(contentsOf: $0) }
                    client.onEndOfInput = {
                        client.close()
                        listener.close()
                        finish(Outcome(serverEvents: serverEvents, clientReceived: String(decoding: received, as: UTF8.self)))
                    }
                    client.write("QUIT\r\n")
                    client.shutdownOutput()
                }
            }
            #expect(outcome.serverEvents == ["read QUIT\r\n", "end of input"])
            #expect(outcome.clientReceived == "221 2.0.0 Bye\r\n")
        }

        @Test("no callback runs after close, even with more data arriving")
        func noCallbackAfterClose() async throws {
            struct Outcome: Sendable { var serverCallbacks: [String]; var clientSawEnd: Bool }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                var serverCallbacks: [String] = []
                let listener = try loopbackListener(loop: loop) { server in
                    server.onRead = { _ in
                        serverCallbacks.append("read")
                        server.close()
                        server.close()  // idempotent
                        server.write("ignored after close\r\n")
                    }
                    server.onEndOfInput = { serverCallbacks.append("end of input") }
                    server.onError = { _ in serverCallbacks.append("error") }
                    server.onWriteQueueDrained = { serverCallbacks.append("drained") }
                }
                OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                    var done = false
                    func end() {
                        guard !done else { return }
                        done = true
                        client.close()
                        listener.close()
                        // Let any stray report for the closed server socket come and go first.
                        loop.schedule(after: .milliseconds(30)) { finish(Outcome(serverCallbacks: serverCallbacks, clientSawEnd: true)) }
                    }
                    client.onEndOfInput = end
                    client.onError = { _ in end() }
                    client.write("MAIL FROM:<a@example.org>\r\n")
                    loop.schedule(after: .milliseconds(20)) { client.write("RCPT TO:<b@example.org>\r\n") }
                }
            }
            #expect(outcome.serverCallbacks == ["read"])
            #expect(outcome.clientSawEnd)
        }

        @Test("a failed write closes the connection and reports once, never inside write")
        func writeFailure() async throws {
            struct Outcome: Sendable { var errors: [Int32]; var reportedInsideWrite: Bool; var openAfter: Bool }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                let listener = try loopbackListener(loop: loop) { server in
                    // Close with unread data pending: the kernel answers with RST.
                    server.pauseReading()
                    loop.schedule(after: .milliseconds(10)) { server.close() }
                }
                OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                    listener.close()
                    var errors: [Int32] = []
                    var insideWrite = false
                    var reportedInsideWrite = false
                    client.onError = { error in
                        errors.append(error.errno ?? 0)
                        reportedInsideWrite = reportedInsideWrite || insideWrite
                        loop.schedule(after: .milliseconds(20)) {
                            finish(Outcome(errors: errors, reportedInsideWrite: reportedInsideWrite, openAfter: client.isOpen))
                        }
                    }
                    func keepWriting() {
                        guard client.isOpen else { return }
                        insideWrite = true
                        client.write("DATA\r\n")
                        insideWrite = false
                        loop.schedule(after: .milliseconds(5)) { keepWriting() }
                    }
                    keepWriting()
                }
            }
            #expect(outcome.errors.count == 1)
            #expect(outcome.errors.allSatisfy { $0 == ECONNRESET || $0 == EPIPE })
            #expect(!outcome.reportedInsideWrite)
            #expect(!outcome.openAfter)
        }
    }
}

extension IOLayerTests.BufferedConnectionTests {
    @Test("a hung-up socket does not wake a paused reader every turn; resuming still reads the rest")
    func hangupWhilePaused() async throws {
        struct Outcome: Sendable { var turnsWhilePaused: UInt64; var readWhilePaused: Int; var afterResume: [String] }
        let outcome: Outcome = try await onLoopThread { loop, finish in
            var events: [String] = []
            var readWhilePaused = 0
            var paused = true
            let listener = try loopbackListener(loop: loop) { server in
                server.pauseReading()
                server.shutdownOutput()  // our FIN; with the client's FIN the socket is hung up
                server.onRead = { bytes in
                    if paused { readWhilePaused += 1 }
                    events.append("read " + String(decoding: bytes, as: UTF8.self))
                }
                server.onEndOfInput = {
                    events.append("end of input")
                    server.close()
                }
                loop.schedule(after: .milliseconds(30)) {
                    let turnsAtStart = loop.turns
                    loop.schedule(after: .milliseconds(50)) {
                        let turns = loop.turns - turnsAtStart
                        paused = false
                        server.resumeReading()
                        loop.schedule(after: .milliseconds(30)) {
                            finish(Outcome(turnsWhilePaused: turns, readWhilePaused: readWhilePaused, afterResume: events))
                        }
                    }
                }
            }
            OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                listener.close()
                client.onEndOfInput = { client.close() }
                client.write("QUIT\r\n")
                client.shutdownOutput()
            }
        }
        #expect(outcome.turnsWhilePaused < 20)
        #expect(outcome.readWhilePaused == 0)
        #expect(outcome.afterResume == ["read QUIT\r\n", "end of input"])
    }
}

extension IOLayerTests.BufferedConnectionTests {
    struct CloseOutcome: Sendable {
        /// What the client saw: "end" (FIN after all the data) or the errno of a reset.
        var ending: String
        var bytesRead: Int
        var serverQueuedAtClose: Int
    }

    /// A server that queues `payload` bytes for a client that is not reading, then closes with
    /// `close` 50 ms later; the client starts reading 100 ms after connecting and reports how the connection ended.
    private static func closeWhileUnread(readingAfter readDelay: Duration = .milliseconds(100),
                                         _ close: @escaping @Sendable (BufferedConnection) -> Void) async throws -> CloseOutcome {
        try await onLoopThread { loop, finish in
            var queuedAtClose = 0
            let listener = try loopbackListener(loop: loop) { server in
                server.write(patternBytes(4 << 20))
                // Once the client has seen its connect complete (a reset before would fail it).
                loop.schedule(after: .milliseconds(50)) {
                    queuedAtClose = server.pendingWriteBytes
                    close(server)
                }
            }
            OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                guard case .success(let client) = result else { Issue.record("connect: \(result)"); return }
                listener.close()
                client.pauseReading()
                var read = 0
                client.onRead = { read += $0.count }
                client.onEndOfInput = {
                    client.close()
                    // The server side may look a moment later than the FIN left (closeWhenDelivered).
                    loop.schedule(after: .milliseconds(300)) {
                        finish(CloseOutcome(ending: "end", bytesRead: read, serverQueuedAtClose: queuedAtClose))
                    }
                }
                client.onError = { error in
                    finish(CloseOutcome(ending: error.errno == ECONNRESET ? "reset" : "\(error)", bytesRead: read, serverQueuedAtClose: queuedAtClose))
                }
                loop.schedule(after: readDelay) { client.resumeReading() }
            }
        }
    }

    @Test("closeWithReset drops unsent replies at once: the client sees a reset, not the rest of the data")
    func closeWithReset() async throws {
        let outcome = try await Self.closeWhileUnread { $0.closeWithReset() }
        #expect(outcome.serverQueuedAtClose > 0, "the kernel took 4 MB at once; nothing was left to drop")
        #expect(outcome.ending == "reset")
        #expect(outcome.bytesRead < 4 << 20)
    }

    @Test("for comparison: closeAfterFlush delivers everything, then FIN")
    func closeAfterFlushDelivers() async throws {
        let outcome = try await Self.closeWhileUnread { $0.closeAfterFlush() }
        #expect(outcome.ending == "end")
        #expect(outcome.bytesRead == 4 << 20)
    }
}

extension IOLayerTests.BufferedConnectionTests {
    @Test("closeWhenDelivered: a client that reads gets everything, then FIN")
    func closeWhenDeliveredToAReader() async throws {
        let outcome = try await Self.closeWhileUnread { $0.closeWhenDelivered(within: .seconds(5)) }
        #expect(outcome.serverQueuedAtClose > 0)
        #expect(outcome.ending == "end")
        #expect(outcome.bytesRead == 4 << 20)
    }

    @Test("closeWhenDelivered: a client that does not read within the deadline is reset, its replies dropped")
    func closeWhenDeliveredGivesUp() async throws {
        let outcome = try await Self.closeWhileUnread(readingAfter: .milliseconds(600)) { $0.closeWhenDelivered(within: .milliseconds(200)) }
        #expect(outcome.ending == "reset")
        #expect(outcome.bytesRead < 4 << 20)
    }
}
