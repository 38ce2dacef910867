import DecisionLog
import Glibc
import NetworkAddress
import RelayPolicy
import Testing
@testable import EventIO
@testable import ProxyServer

/// The session driver in process, over real loopback sockets: an `SMTPProxy` in front of the
/// built-in sink, clients connected with the loop's own connector. What the pure machine's
/// tests cannot show: callbacks after a session ended, and one client's flood against another
/// client's greeting on the same loop.
extension IOLayerTests {
    @Suite("Session driver over real sockets")
    struct SessionDriverTests {
        /// A proxy and its backend on one loop; connections are handed to the proxy as its
        /// listener would hand them.
        final class Rig {
            let sink: DemoSink
            let proxy: SMTPProxy
            let listener: Listener
            /// The server side of every connection handed to the proxy, in order.
            var accepted: [BufferedConnection] = []
            let logPath: String
            let log: DecisionLogWriter

            init(loop: EventLoop, config: String = "tarpit_delay = 0") throws {
                sink = try DemoSink(address: SocketAddress("127.0.0.1:0")!, loop: loop)
                logPath = "/tmp/relayguard-driver-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
                log = try DecisionLogWriter(.file(logPath))
                let configuration = try ConfigurationParser.parse(
                    """
                    hostname = relay.test
                    local_domains = local.example
                    trusted_networks = 192.0.2.0/24
                    backend = \(sink.address)
                    backend_client_identity = proxy-v2
                    \(config)
                    """, file: "test.conf", defaultHostname: "unused.example")
                let proxy = SMTPProxy(configuration: configuration, recipientMap: RecipientMap(), tls: nil, loop: loop, log: log)
                self.proxy = proxy
                var handOver: ((BufferedConnection) -> Void)?
                listener = try loopbackListener(loop: loop) { connection in handOver?(connection) }
                handOver = { [unowned self] connection in
                    accepted.append(connection)
                    proxy.accept(connection)
                }
            }

            var address: SocketAddress { listener.address }

            /// Ends every session (421) and, a moment later, closes what the rig opened and hands
            /// `finish` the decision records written, as lines, with `value`.
            func close<Value>(_ value: Value, loop: EventLoop, finish: @escaping ((Value, [String])) -> Void) {
                proxy.shutdownSessions()
                listener.close()
                _ = loop.schedule(after: .milliseconds(100)) { [self] in
                    sink.close()
                    finish((value, records()))
                }
            }

            private func records() -> [String] {
                log.drain()
                defer { unlink(logPath) }
                guard let file = fopen(logPath, "r") else { return [] }
                defer { fclose(file) }
                var lines: [String] = []
                var line: UnsafeMutablePointer<CChar>?
                var capacity = 0
                while getline(&line, &capacity, file) > 0, let line { lines.append(String(cString: line)) }
                free(line)
                return lines
            }
        }

        /// Ends the connection with a TCP reset (SO_LINGER zero), as a client that crashes does.
        static func reset(_ connection: BufferedConnection) {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(connection.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            connection.close()
        }

        /// The replies are held behind a tarpitted refusal and the client resets meanwhile: the
        /// session ends when they are due, and the connection keeps no callback into it.
        @Test("QUIT, then a reset while the replies wait in the tarpit: the session ends, no callback is left behind")
        func quitThenReset() async throws {
            let ((sessionsLeft, callbacksLeft), records) = try await onLoopThread { loop, finish in
                let rig = try Rig(loop: loop, config: "tarpit_delay = 300ms")
                OutboundConnector.connect(to: rig.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let client) = result else { return }
                    client.onRead = { _ in
                        client.onRead = nil
                        client.write("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<x@remote.example>\r\nQUIT\r\n")
                        // Once relayguard has read it all, and before the tarpit lets the replies go.
                        _ = loop.schedule(after: .milliseconds(100)) { Self.reset(client) }
                    }
                }
                _ = loop.schedule(after: .milliseconds(800)) {
                    // The ended session's connection may still be flushing: it must hold no
                    // callback into the driver that went away with the session.
                    let callbacks = rig.accepted.map { connection in
                        [connection.onRead != nil, connection.onError != nil, connection.onEndOfInput != nil,
                         connection.onWriteQueueDrained != nil].filter { $0 }.count
                    }.reduce(0, +)
                    rig.close((rig.proxy.sessionCount, callbacks), loop: loop, finish: finish)
                }
            }
            #expect(sessionsLeft == 0)
            #expect(callbacksLeft == 0)
            #expect(records.contains { $0.contains(#""event":"disconnect""#) })
        }

        /// Two sessions from one address, one refused RCPT each: the second refusal reaches
        /// client_refusal_limit = 2 as its tarpit starts. That session ends with the machine's 421,
        /// no timer of it is left to fire into the freed driver (one did, and crashed), and the
        /// next connection from the address is refused at connect.
        @Test("client_refusal_limit reached by a session's first, tarpitted refusal: 421, session gone, next connection refused")
        func clientRefusalLimit() async throws {
            let ((transcripts, thirdGreeting, sessionsLeft), records) = try await onLoopThread { loop, finish in
                let rig = try Rig(loop: loop, config: "tarpit_delay = 100ms\nclient_refusal_limit = 2")
                var transcripts: [String] = []
                /// One session: greeting, EHLO, MAIL, then one relay attempt, QUIT once it is
                /// refused; reads until closed.
                func session(_ then: @escaping () -> Void) {
                    OutboundConnector.connect(to: rig.address, timeout: .seconds(5), loop: loop) { result in
                        guard case .success(let client) = result else { return }
                        var transcript = ""
                        var rcptSent = false
                        var quitSent = false
                        client.onRead = { bytes in
                            if transcript.isEmpty {
                                client.write("EHLO client.example\r\nMAIL FROM:<a@x.example>\r\n")
                            }
                            transcript += String(decoding: bytes, as: UTF8.self)
                            // The RCPT once MAIL is answered: its refusal is then the head of the
                            // reply queue, and its tarpit timer is asked for in the same breath.
                            if !rcptSent && transcript.contains("250 2.0.0 Ok") {
                                rcptSent = true
                                client.write("RCPT TO:<x@remote.example>\r\n")
                            }
                            if !quitSent && transcript.contains("5.7.1") {
                                quitSent = true
                                client.write("QUIT\r\n")
                            }
                        }
                        client.onEndOfInput = {
                            client.close()
                            transcripts.append(transcript)
                            then()
                        }
                    }
                }
                session {
                    session {
                        // Well past the tarpit: a timer that outlived the session would have fired.
                        _ = loop.schedule(after: .milliseconds(300)) {
                            OutboundConnector.connect(to: rig.address, timeout: .seconds(5), loop: loop) { result in
                                guard case .success(let third) = result else { return }
                                third.onRead = { bytes in
                                    let greeting = String(decoding: bytes, as: UTF8.self)
                                    third.close()
                                    rig.close((transcripts, greeting, rig.proxy.sessionCount), loop: loop, finish: finish)
                                }
                            }
                        }
                    }
                }
            }
            #expect(transcripts.count == 2)
            #expect(transcripts.first?.contains("550 5.7.1") == true, "the first refusal is answered as such")
            #expect(transcripts.first?.contains("221 ") == true)
            #expect(transcripts.last?.contains("421 4.7.0 Too many invalid recipients") == true,
                    "the session whose refusal reached the limit ends with 421: \(transcripts)")
            #expect(thirdGreeting.hasPrefix("421 4.7.0 "))
            #expect(sessionsLeft == 0)
            #expect(records.contains { $0.contains(#""reason":"harvest_blocked""#) })
        }

        @Test("A flood of locally answered commands in one write: another client is greeted while it lasts")
        func floodDoesNotStarveGreeting() async throws {
            let (greetedWithin, _) = try await onLoopThread(deadline: .seconds(30)) { loop, finish in
                let rig = try Rig(loop: loop, config: "tarpit_delay = 0\nerror_limit = 1000000")
                var started: MonotonicClock.Instant?
                OutboundConnector.connect(to: rig.address, timeout: .seconds(5), loop: loop) { result in
                    guard case .success(let flooder) = result else { return }
                    flooder.onRead = { _ in
                        // 256 KiB of EXPN, never reading a reply after the greeting.
                        flooder.onRead = nil
                        flooder.pauseReading()
                        flooder.write(String(repeating: "EXPN x\r\n", count: 32 * 1024))
                        started = loop.now()
                        OutboundConnector.connect(to: rig.address, timeout: .seconds(5), loop: loop) { result in
                            guard case .success(let bystander) = result else { return }
                            bystander.onRead = { bytes in
                                guard let started, bytes.starts(with: Array("220".utf8)) else { return }
                                let waited = started.duration(to: loop.now())
                                bystander.close()
                                flooder.close()
                                rig.close(waited, loop: loop, finish: finish)
                            }
                        }
                    }
                }
            }
            // A liveness bound, not a speed claim: the bystander is served during the flood.
            #expect(greetedWithin < .seconds(2))
        }
    }
}
