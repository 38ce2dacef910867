import NetworkAddress
import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

extension IOLayerTests {
    @Suite("Listener")
    struct ListenerTests {
        struct Accepted: Sendable, Equatable {
            var peerHost: String
            var peerIsIPv6: Bool
            var localMatchesListener: Bool
        }

        /// Accepts one client from `host` and reports what the server side saw.
        private static func acceptOne(listeningOn host: String) async throws -> Accepted {
            try await onLoopThread { loop, finish in
                var listener: Listener!
                listener = try loopbackListener(host, loop: loop) { server in
                    let seen = Accepted(
                        peerHost: server.peerAddress.host,
                        peerIsIPv6: server.peerAddress.isIPv6,
                        localMatchesListener: server.localAddress == listener.address)
                    server.close()
                    listener.close()
                    finish(seen)
                }
                OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                    if case .success(let client) = result { client.close() }
                }
            }
        }

        @Test("accepted clients get a modest send buffer (SO_SNDBUF), so a client that does not read pins little")
        func clientSendBuffer() async throws {
            let sizes: [Int32] = try await onLoopThread { loop, finish in
                var sizes: [Int32] = []
                var listener: Listener!
                listener = try loopbackListener(loop: loop) { server in
                    var value: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    _ = getsockopt(server.descriptor, SOL_SOCKET, SO_SNDBUF, &value, &length)
                    sizes.append(value)
                    server.close()
                    if sizes.count == 1 {
                        listener.clientSendBufferBytes = nil   // the kernel's own, for comparison
                    } else {
                        listener.close()
                        finish(sizes)
                    }
                }
                for delay in [0, 50] {
                    loop.schedule(after: .milliseconds(delay)) {
                        OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                            if case .success(let client) = result { client.close() }
                        }
                    }
                }
            }
            // Linux doubles the value asked for (its bookkeeping) and reports the doubled size.
            #expect(sizes.first == 2 * Listener.defaultClientSendBufferBytes)
            #expect(sizes.count == 2 && sizes[1] != sizes[0], "the kernel default differs, so the option did something")
        }

        @Test("IPv4 loopback listener reports the IPv4 client and local address")
        func ipv4() async throws {
            let seen = try await Self.acceptOne(listeningOn: "127.0.0.1")
            #expect(seen == Accepted(peerHost: "127.0.0.1", peerIsIPv6: false, localMatchesListener: true))
        }

        @Test("IPv6 [::1] listener reports the IPv6 client and local address")
        func ipv6() async throws {
            let seen = try await Self.acceptOne(listeningOn: "::1")
            #expect(seen == Accepted(peerHost: "::1", peerIsIPv6: true, localMatchesListener: true))
        }

        @Test("0.0.0.0 and [::] can be bound on the same port, each serving its family")
        func dualStack() async throws {
            let peers: [String] = try await onLoopThread { loop, finish in
                var peers: [String] = []
                var listeners: [Listener] = []
                func accepted(_ connection: BufferedConnection) {
                    peers.append(connection.peerAddress.host)
                    connection.close()
                    if peers.count == 2 {
                        listeners.forEach { $0.close() }
                        finish(peers.sorted())
                    }
                }
                let v4 = try Listener(address: SocketAddress("0.0.0.0:0")!, loop: loop, onAccept: accepted)
                let v6 = try Listener(address: SocketAddress(IPAddress("::")!, port: v4.address.port), loop: loop, onAccept: accepted)
                listeners = [v4, v6]
                for host in ["127.0.0.1", "::1"] {
                    OutboundConnector.connect(to: SocketAddress(IPAddress(host)!, port: v4.address.port), timeout: .seconds(5), loop: loop) { result in
                        if case .success(let client) = result { client.close() }
                    }
                }
            }
            #expect(peers == ["127.0.0.1", "::1"])
        }

        @Test("binding an address already in use fails with EADDRINUSE")
        func addressInUse() async throws {
            let error = try await onLoopThread { (loop: EventLoop, finish: @escaping (SocketError?) -> Void) in
                let first = try loopbackListener(loop: loop) { $0.close() }
                defer { first.close() }
                do {
                    let second = try Listener(address: first.address, loop: loop) { $0.close() }
                    second.close()
                    finish(nil)
                } catch {
                    finish(error as? SocketError)
                }
            }
            #expect(error?.errno == EADDRINUSE)
        }
    }
}

extension IOLayerTests.ListenerTests {
    @Test("out of descriptors (EMFILE): accepting pauses instead of spinning, then resumes")
    func emfileBackOff() async throws {
        struct Outcome: Sendable { var errors: [Int32]; var failedAttempts: Int; var turnsWhilePaused: UInt64; var acceptedAfter: Bool }
        let outcome: Outcome = try await onLoopThread { loop, finish in
            var outcome = Outcome(errors: [], failedAttempts: 0, turnsWhilePaused: 0, acceptedAfter: false)
            var client: BufferedConnection?
            var listener: Listener!
            listener = try loopbackListener(loop: loop) { server in
                outcome.acceptedAfter = true
                server.close()
                client?.close()
                listener.close()
                finish(outcome)
            }
            listener.acceptRetryDelay = .milliseconds(40)
            listener.acceptCall = { _, _, _, _ in
                errno = EMFILE
                return -1
            }
            listener.onAcceptError = { outcome.errors.append($0.errno ?? 0) }
            OutboundConnector.connect(to: listener.address, timeout: .seconds(5), loop: loop) { result in
                guard case .success(let connected) = result else { Issue.record("connect: \(result)"); return }
                client = connected
                let turnsAtStart = loop.turns
                // The client waits in the kernel's queue: two back-off periods with a failing accept,
                // then descriptors are "freed" and the next retry accepts it.
                loop.schedule(after: .milliseconds(100)) {
                    outcome.failedAttempts = outcome.errors.count
                    outcome.turnsWhilePaused = loop.turns - turnsAtStart
                    listener.acceptCall = LinuxSystemCalls.accept4
                }
            }
        }
        #expect(outcome.errors.allSatisfy { $0 == EMFILE })
        #expect((1...4).contains(outcome.failedAttempts), "one failed attempt per back-off period")
        #expect(outcome.turnsWhilePaused < 50, "the loop spun while accepting was paused")
        #expect(outcome.acceptedAfter)
    }
}
