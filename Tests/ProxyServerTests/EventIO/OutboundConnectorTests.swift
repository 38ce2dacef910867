import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

/// A listening socket that never accepts, with its queue (backlog 0) filled by raw connects, so
/// that further SYNs are dropped: a local stand-in for a backend that does not answer.
private final class Blackhole {
    let address: SocketAddress
    private var descriptors: [Int32] = []

    init() throws {
        let fd = try Socket.makeStream(family: AF_INET)
        descriptors.append(fd)
        let requested = SocketAddress("127.0.0.1:0")!
        guard requested.withSockAddr({ bind(fd, $0, $1) }) == 0, listen(fd, 0) == 0,
              let bound = Socket.localAddress(fd) else { throw SocketError.lastError("blackhole") }
        address = bound
        for _ in 0..<3 {
            let filler = try Socket.makeStream(family: AF_INET)
            descriptors.append(filler)
            _ = bound.withSockAddr { connect(filler, $0, $1) }
        }
    }

    func close() {
        descriptors.forEach(Socket.close)
        descriptors = []
    }
}

extension IOLayerTests {
    @Suite("OutboundConnector")
    struct OutboundConnectorTests {
        @Test("connect to a closed port fails with ECONNREFUSED promptly")
        func refused() async throws {
            struct Outcome: Sendable { var error: SocketError?; var elapsed: Duration }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                // Learn a free port by binding one and closing it again.
                let probe = try loopbackListener(loop: loop) { $0.close() }
                let closedPort = probe.address
                probe.close()
                let start = loop.now()
                OutboundConnector.connect(to: closedPort, timeout: .seconds(5), loop: loop) { result in
                    switch result {
                    case .success(let connection):
                        connection.close()
                        finish(Outcome(error: nil, elapsed: start.duration(to: loop.now())))
                    case .failure(let error):
                        finish(Outcome(error: error, elapsed: start.duration(to: loop.now())))
                    }
                }
            }
            #expect(outcome.error == .system(call: "connect", errno: ECONNREFUSED))
            #expect(outcome.elapsed < .seconds(1))
        }

        @Test("connect to a backend that never answers times out on the loop")
        func timesOut() async throws {
            struct Outcome: Sendable { var error: SocketError?; var elapsed: Duration }
            let outcome: Outcome = try await onLoopThread { loop, finish in
                let blackhole = try Blackhole()
                let start = loop.now()
                OutboundConnector.connect(to: blackhole.address, timeout: .milliseconds(200), loop: loop) { result in
                    blackhole.close()
                    switch result {
                    case .success(let connection):
                        connection.close()
                        finish(Outcome(error: nil, elapsed: start.duration(to: loop.now())))
                    case .failure(let error):
                        finish(Outcome(error: error, elapsed: start.duration(to: loop.now())))
                    }
                }
            }
            #expect(outcome.error == .timedOut(call: "connect"))
            #expect(outcome.error?.errno == ETIMEDOUT)
            #expect(outcome.elapsed >= .milliseconds(200))
            #expect(outcome.elapsed < .seconds(2))
        }

        @Test("a cancelled connect never calls its completion")
        func cancelled() async throws {
            let completions: Int = try await onLoopThread { loop, finish in
                let blackhole = try Blackhole()
                var completions = 0
                let connector = OutboundConnector.connect(to: blackhole.address, timeout: .milliseconds(50), loop: loop) { _ in
                    completions += 1
                }
                connector.cancel()
                loop.schedule(after: .milliseconds(150)) {
                    blackhole.close()
                    finish(completions + (connector.isPending ? 100 : 0))
                }
            }
            #expect(completions == 0)
        }
    }
}
