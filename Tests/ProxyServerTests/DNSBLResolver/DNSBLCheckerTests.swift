import Testing
import RelayPolicy
@testable import ProxyServer
import NetworkAddress
import DNSBL
@testable import EventIO
@testable import DNSBLResolver

extension IOLayerTests {
    /// The DNSBL checker against `FakeDNSServer`: zones in parallel, fail open, cache, health.
    @Suite("DNSBLChecker")
    struct DNSBLCheckerTests {
        static let timeout = Duration.milliseconds(400)

        /// The fake zones: `bl.test` lists 192.0.2.2 (and 127.0.0.2, with text) and nothing else;
        /// `slow.test` never answers; `broken.test` answers SERVFAIL; `dead.test` lists everyone;
        /// `white.test` allowlists 192.0.2.2.
        static func zones(_ name: String, _ type: UInt16) -> FakeDNSBehaviour {
            if name.hasSuffix(".slow.test") { return .silent }
            if name.hasSuffix(".broken.test") { return .servfail }
            if name.hasSuffix(".dead.test") { return .answer(addresses: [[127, 0, 0, 2]], texts: ["everyone"]) }
            if name == "2.2.0.192.white.test" { return .answer(addresses: [[127, 0, 10, 2]]) }
            if name == "2.2.0.192.bl.test" || name == "2.0.0.127.bl.test" {
                return .answer(addresses: [[127, 0, 0, 2]], texts: ["listed\r\nfor testing"], ttl: 0)
            }
            return .nxdomain()
        }

        struct Outcome: Sendable {
            var results: [DNSBLResult]
            var elapsed: [Duration]
            var udpQuestions: [String]
            var transitions: [ZoneHealthTransition] = []
            var cacheHits = 0
        }

        /// Runs the checks of `clients` one after the other (each after the previous one's result).
        static func run(sites: [String], clients: [String], threshold: Int = 1, fetchText: Bool = true,
                        probeHealthFirst: Bool = false, parallel: Bool = false) async throws -> Outcome {
            let siteList = try sites.map { try #require(DNSBLSite($0)) }
            let clientList = try clients.map { try #require(IPAddress($0)) }
            return try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop, behaviour: zones)
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                let checker = DNSBLChecker(sites: siteList, threshold: threshold, timeout: timeout, resolver: resolver, fetchText: fetchText)
                var outcome = Outcome(results: [], elapsed: [], udpQuestions: [])
                func done() {
                    outcome.udpQuestions = server.udpQuestions
                    outcome.cacheHits = checker.cacheHits
                    checker.close()
                    server.close()
                    finish(outcome)
                }
                func next(_ index: Int) {
                    guard index < clientList.count else { return done() }
                    let start = loop.now()
                    checker.check(client: clientList[index]) { result in
                        outcome.results.append(result)
                        outcome.elapsed.append(start.duration(to: loop.now()))
                        next(index + 1)
                    }
                }
                func startChecks() {
                    if parallel {
                        let start = loop.now()
                        for client in clientList {
                            checker.check(client: client) { result in
                                outcome.results.append(result)
                                outcome.elapsed.append(start.duration(to: loop.now()))
                                if outcome.results.count == clientList.count { done() }
                            }
                        }
                    } else {
                        next(0)
                    }
                }
                if probeHealthFirst {
                    checker.probeZoneHealth { transitions in
                        outcome.transitions = transitions
                        startChecks()
                    }
                } else {
                    startChecks()
                }
            }
        }

        @Test("listed client: score, hits, listing zones and cleaned TXT text")
        func listed() async throws {
            let outcome = try await Self.run(sites: ["bl.test*2", "other.test"], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(result.isListed)
            #expect(result.score.score == 2)
            #expect(result.score.hits == ["bl.test=127.0.0.2"])
            #expect(result.listing(for: .reject) == ["bl.test"])
            #expect(result.reason == .dnsblListed)
            #expect(result.text == "listed for testing")
            #expect(Set(outcome.udpQuestions) == ["2.2.0.192.bl.test/1", "2.2.0.192.other.test/1", "2.2.0.192.bl.test/16"])
        }

        @Test("clean client: not listed, no text asked")
        func clean() async throws {
            let outcome = try await Self.run(sites: ["bl.test"], clients: ["192.0.2.3"])
            let result = try #require(outcome.results.first)
            #expect(!result.isListed)
            #expect(result.score.score == 0)
            #expect(result.reason == nil)
            #expect(result.text == nil)
            #expect(outcome.udpQuestions == ["3.2.0.192.bl.test/1"])
        }

        @Test("a silent zone fails open within dnsbl_timeout and is reported")
        func silentZone() async throws {
            let outcome = try await Self.run(sites: ["bl.test", "slow.test*5"], clients: ["192.0.2.2"], fetchText: false)
            let result = try #require(outcome.results.first)
            #expect(result.isListed)   // bl.test still counts
            #expect(result.score.score == 1)
            #expect(result.timedOutZones == ["slow.test"])
            let elapsed = try #require(outcome.elapsed.first)
            #expect(elapsed >= Self.timeout)
            #expect(elapsed < Self.timeout + .milliseconds(300))
        }

        @Test("the TXT text is fetched while a silent zone is still awaited")
        func textDespiteSilentZone() async throws {
            let outcome = try await Self.run(sites: ["bl.test", "slow.test"], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(result.isListed)
            #expect(result.timedOutZones == ["slow.test"])
            #expect(result.text == "listed for testing")
        }

        @Test("only a silent zone: not listed, reason dnsbl_timeout")
        func onlySilent() async throws {
            let outcome = try await Self.run(sites: ["slow.test"], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(!result.isListed)
            #expect(result.reason == .dnsblTimeout)
        }

        @Test("SERVFAIL: not listed, reason dnsbl_error")
        func serverFailure() async throws {
            let outcome = try await Self.run(sites: ["broken.test"], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(!result.isListed)
            #expect(result.failedZones == ["broken.test"])
            #expect(result.reason == .dnsblError)
        }

        @Test("allowlist weight pulls a listed client below the threshold")
        func allowlist() async throws {
            let outcome = try await Self.run(sites: ["bl.test*2", "white.test=127.0.[0..255].[1..3]*-2"], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(result.score.score == 0)
            #expect(!result.isListed)
            #expect(result.score.hits == ["bl.test=127.0.0.2", "white.test=127.0.10.2"])
        }

        @Test("second check of a client is answered from the cache (TTL 0 held 60 s)")
        func cached() async throws {
            let outcome = try await Self.run(sites: ["bl.test", "other.test"], clients: ["192.0.2.2", "192.0.2.2"], fetchText: false)
            #expect(outcome.results.count == 2)
            #expect(outcome.results[0].cachedZones.isEmpty)
            #expect(outcome.results[1].cachedZones == ["bl.test", "other.test"])
            #expect(outcome.results[1].score == outcome.results[0].score)
            #expect(outcome.udpQuestions.count == 2)
            #expect(outcome.cacheHits == 2)
        }

        @Test("timeouts are not cached: the next check asks again")
        func timeoutNotCached() async throws {
            let outcome = try await Self.run(sites: ["slow.test"], clients: ["192.0.2.2", "192.0.2.2"])
            #expect(outcome.results.map(\.timedOutZones) == [["slow.test"], ["slow.test"]])
            #expect(outcome.udpQuestions.count == 4)   // two attempts each
        }

        @Test("parallel checks of one client share the lookups")
        func coalesced() async throws {
            let outcome = try await Self.run(sites: ["bl.test"], clients: ["192.0.2.2", "192.0.2.2", "192.0.2.2"], fetchText: false, parallel: true)
            #expect(outcome.results.count == 3)
            #expect(outcome.results.allSatisfy { $0.isListed })
            #expect(outcome.udpQuestions == ["2.2.0.192.bl.test/1"])
        }

        @Test("an IPv4-mapped IPv6 client is asked as IPv4; IPv6 by nibbles")
        func addressForms() async throws {
            let outcome = try await Self.run(sites: ["bl.test"], clients: ["::ffff:192.0.2.2", "2001:db8::1"], fetchText: false)
            #expect(outcome.results.first?.isListed == true)
            #expect(outcome.udpQuestions == [
                "2.2.0.192.bl.test/1",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test/1",
            ])
        }

        @Test("health check disables a zone that lists 127.0.0.1; it is then skipped")
        func healthDisables() async throws {
            let outcome = try await Self.run(sites: ["bl.test", "dead.test*5"], clients: ["192.0.2.3"], probeHealthFirst: true)
            #expect(outcome.transitions.count == 2)
            let dead = try #require(outcome.transitions.first { $0.zone == "dead.test" })
            #expect(dead.isAlarm)
            #expect(dead.to == .disabled(.listsLoopback([IPAddress(ipv4: (127, 0, 0, 2))])))
            let healthy = try #require(outcome.transitions.first { $0.zone == "bl.test" })
            #expect(healthy.to == .healthy)
            #expect(!healthy.isAlarm)
            let result = try #require(outcome.results.first)
            #expect(!result.isListed)
            #expect(result.skippedZones == ["dead.test"])
            #expect(!outcome.udpQuestions.contains("3.2.0.192.dead.test/1"))
        }

        @Test("a cancelled check never calls back")
        func cancelled() async throws {
            let site = try #require(DNSBLSite("bl.test"))
            let called: Bool = try await onLoopThread { loop, finish in
                let server = try FakeDNSServer(loop: loop, behaviour: Self.zones)
                let resolver = try DNSResolver(servers: [server.address], loop: loop)
                let checker = DNSBLChecker(sites: [site], threshold: 1, timeout: Self.timeout, resolver: resolver)
                var called = false
                let check = checker.check(client: IPAddress(ipv4: (192, 0, 2, 2))) { _ in called = true }
                check.cancel()
                loop.schedule(after: .milliseconds(100)) {
                    checker.close()
                    server.close()
                    finish(called)
                }
            }
            #expect(!called)
        }

        @Test("no sites: an empty result on the next turn")
        func noSites() async throws {
            let outcome = try await Self.run(sites: [], clients: ["192.0.2.2"])
            let result = try #require(outcome.results.first)
            #expect(result.score.score == 0)
            #expect(outcome.udpQuestions.isEmpty)
        }
    }
}
