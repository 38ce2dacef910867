import DNSBL
import Testing
@testable import ProxyServer
@testable import EventIO
@testable import DNSBLResolver

extension IOLayerTests {
    /// The resolver against `FakeDNSServer` on loopback: real sockets, real timers, no network.
    @Suite("DNSResolver")
    struct DNSResolverTests {
        struct Outcome: Sendable {
            var result: DNSLookupOutcome
            var elapsed: Duration
            var statistics: DNSResolverStatistics
            var udpQuestions: [String]
            var tcpQuestions: [String]
        }

        static let listedName = "2.0.0.127.bl.test."
        static let timeout = Duration.milliseconds(400)

        /// Runs one lookup of `name` against a fake server behaving as `behaviour`.
        static func lookUp(_ name: String = listedName, type: DNSQuery.RecordType = .a, timeout: Duration = timeout,
                           behaviour: @escaping @Sendable (String, UInt16) -> FakeDNSBehaviour) async throws -> Outcome {
            try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop, behaviour: behaviour)
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                let start = loop.now()
                resolver.lookup(name, type: type, timeout: timeout) { result in
                    let outcome = Outcome(result: result, elapsed: start.duration(to: loop.now()), statistics: resolver.statistics,
                                          udpQuestions: server.udpQuestions, tcpQuestions: server.tcpQuestions)
                    resolver.close()
                    server.close()
                    finish(outcome)
                }
            }
        }

        static func addresses(_ outcome: Outcome) -> [[UInt8]]? {
            guard case .answer(let answers, _, _) = outcome.result else { return nil }
            return answers.addresses.map(\.address)
        }

        @Test("listed: the A record comes back")
        func listed() async throws {
            let outcome = try await Self.lookUp { _, _ in .answer(addresses: [[127, 0, 0, 2]]) }
            guard case .answer(let answers, _, let overTCP) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(answers.responseCode == .noError)
            #expect(answers.addresses.map(\.address) == [[127, 0, 0, 2]])
            #expect(answers.addresses.first?.ttl == 300)
            #expect(!overTCP)
            #expect(outcome.udpQuestions == ["2.0.0.127.bl.test/1"])
            #expect(outcome.elapsed < .milliseconds(200))
        }

        @Test("not listed: NXDOMAIN with its negative TTL")
        func notListed() async throws {
            let outcome = try await Self.lookUp { _, _ in .nxdomain(negativeTTL: 120) }
            guard case .answer(let answers, let negativeTTL, _) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(answers.responseCode == .nameError)
            #expect(answers.addresses.isEmpty)
            #expect(negativeTTL == 120)
        }

        @Test("TXT record")
        func text() async throws {
            let outcome = try await Self.lookUp(type: .txt) { _, _ in .answer(addresses: [], texts: ["listed for testing"]) }
            guard case .answer(let answers, _, _) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(answers.texts.map(\.strings) == [["listed for testing"]])
            #expect(outcome.udpQuestions == ["2.0.0.127.bl.test/16"])
        }

        @Test("server never answers: timed out within the timeout, after one retry")
        func timesOut() async throws {
            let outcome = try await Self.lookUp { _, _ in .silent }
            #expect(outcome.result == .timedOut)
            #expect(outcome.elapsed >= Self.timeout)
            #expect(outcome.elapsed < Self.timeout + .milliseconds(300))
            #expect(outcome.udpQuestions.count == 2)
            #expect(outcome.statistics.retries == 1)
            #expect(outcome.statistics.timeouts == 1)
        }

        @Test("first datagram lost: the retry is answered")
        func retryAnswered() async throws {
            let outcome = try await Self.lookUp { _, _ in .dropFirst(then: .answer(addresses: [[127, 0, 0, 4]])) }
            #expect(Self.addresses(outcome) == [[127, 0, 0, 4]])
            #expect(outcome.statistics.retries == 1)
            #expect(outcome.elapsed >= Self.timeout / 2)
            #expect(outcome.elapsed < Self.timeout)
        }

        @Test("truncated: asked again over TCP")
        func truncated() async throws {
            let outcome = try await Self.lookUp { _, _ in .truncated(then: .answer(addresses: [[127, 0, 0, 2], [127, 0, 0, 10]])) }
            guard case .answer(let answers, _, let overTCP) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(overTCP)
            #expect(!answers.isTruncated)
            #expect(answers.addresses.map(\.address) == [[127, 0, 0, 2], [127, 0, 0, 10]])
            #expect(outcome.statistics.tcpFallbacks == 1)
            #expect(outcome.tcpQuestions == ["2.0.0.127.bl.test/1"])
        }

        @Test("a reply with a wrong ID or a wrong question is ignored")
        func forgedIgnored() async throws {
            let outcome = try await Self.lookUp { _, _ in
                .forgedFirst(decoy: .answer(addresses: [[127, 0, 0, 2]]), then: .nxdomain())
            }
            guard case .answer(let answers, _, _) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(answers.responseCode == .nameError)
            #expect(answers.addresses.isEmpty)
            #expect(outcome.statistics.repliesIgnored == 2)
        }

        @Test("SERVFAIL comes back as an answer with its RCODE")
        func serverFailure() async throws {
            let outcome = try await Self.lookUp { _, _ in .servfail }
            guard case .answer(let answers, _, _) = outcome.result else {
                Issue.record("expected an answer, got \(outcome.result)")
                return
            }
            #expect(answers.responseCode == .serverFailure)
        }

        @Test("a cancelled lookup never completes and leaves nothing behind")
        func cancelled() async throws {
            struct Result: Sendable { var completed: Bool; var pending: Int }
            let result: Result = try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop) { _, _ in .answer(addresses: [[127, 0, 0, 2]]) }
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                var completed = false
                let lookup = resolver.lookup(Self.listedName, type: .a, timeout: Self.timeout) { _ in completed = true }
                lookup.cancel()
                loop.schedule(after: .milliseconds(100)) {
                    let pending = resolver.pendingLookups
                    resolver.close()
                    server.close()
                    finish(Result(completed: completed, pending: pending))
                }
            }
            #expect(!result.completed)
            #expect(result.pending == 0)
        }

        @Test("RFC 5452: every query from a fresh source port with a random ID; its socket is closed when the lookup ends")
        func freshSourcePorts() async throws {
            struct Ports: Sendable { var ports: [UInt16]; var ids: [UInt16]; var socketsWhileWaiting: Int; var socketsAfter: Int; var answered: Int }
            let queries = 50
            let outcome: Ports = try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop) { _, _ in .nxdomain() }
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                var answered = 0
                var completed = 0
                var socketsWhileWaiting = 0
                for number in 0..<queries {
                    resolver.lookup("\(number).0.0.127.bl.test.", type: .a, timeout: .seconds(2)) { result in
                        if case .answer = result { answered += 1 }
                        completed += 1
                        if completed == queries {
                            loop.runSoon {
                                let outcome = Ports(ports: server.udpSources.map(\.port), ids: server.udpSources.map(\.id),
                                                    socketsWhileWaiting: socketsWhileWaiting, socketsAfter: resolver.openSockets, answered: answered)
                                resolver.close()
                                server.close()
                                finish(outcome)
                            }
                        }
                    }
                }
                socketsWhileWaiting = resolver.openSockets
            }
            #expect(outcome.answered == queries)
            #expect(outcome.ports.count == queries)
            #expect(Set(outcome.ports).count == queries, "a source port was used twice: \(outcome.ports.sorted())")
            #expect(!outcome.ports.contains(0))
            #expect(Set(outcome.ids).count == queries)
            #expect(outcome.socketsWhileWaiting == queries, "one socket per query in flight")
            #expect(outcome.socketsAfter == 0, "every socket closed once its lookup ended")
        }

        @Test("the retry goes out from another fresh port, with another ID")
        func retryFreshPort() async throws {
            let sources: [UInt16] = try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop) { _, _ in .dropFirst(then: .nxdomain()) }
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                resolver.lookup(Self.listedName, type: .a, timeout: Self.timeout) { _ in
                    let ports = server.udpSources.map(\.port)
                    resolver.close()
                    server.close()
                    finish(ports)
                }
            }
            #expect(sources.count == 2)
            #expect(Set(sources).count == 2)
        }

        @Test("a bad name fails on a later turn, not inside lookup")
        func badName() async throws {
            let label = String(repeating: "a", count: 64)
            let outcome = try await Self.lookUp("\(label).bl.test.") { _, _ in .silent }
            guard case .failed = outcome.result else {
                Issue.record("expected a failure, got \(outcome.result)")
                return
            }
            #expect(outcome.udpQuestions.isEmpty)
        }
    }
}
