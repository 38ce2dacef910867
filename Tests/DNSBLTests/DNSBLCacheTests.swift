import TestSupport
import Testing
@testable import DNSBL
import RelayPolicy
import NetworkAddress
import DNSBL

@Suite("DNSBLCache")
struct DNSBLCacheTests {
    static let client = IPAddress(ipv4: (192, 0, 2, 7))
    static let listed = DNSBLZoneAnswer.addresses([IPAddress(ipv4: (127, 0, 0, 2))])

    struct TTLCase: Sendable, CustomTestStringConvertible {
        var name: String
        var published: Duration
        var aliveAt: Duration
        var goneAt: Duration
        var testDescription: String { name }
    }

    static let ttlCases: [TTLCase] = [
        .init(name: "TTL 0 is held for the 60 s minimum", published: .zero, aliveAt: .seconds(59), goneAt: .seconds(60)),
        .init(name: "TTL 10 s is raised to 60 s", published: .seconds(10), aliveAt: .seconds(59), goneAt: .seconds(60)),
        .init(name: "TTL 300 s is kept", published: .seconds(300), aliveAt: .seconds(299), goneAt: .seconds(300)),
        .init(name: "TTL 1 day is cut to 1 h", published: .seconds(86_400), aliveAt: .seconds(3599), goneAt: .seconds(3600)),
    ]

    @Test("clamps the TTL", arguments: ttlCases)
    func clampsTTL(_ testCase: TTLCase) {
        var cache = DNSBLCache<ManualInstant>(capacity: 10)
        let key = DNSBLCacheKey(zone: "bl.example", client: Self.client)
        cache.store(Self.listed, for: key, ttl: testCase.published, now: .start)
        #expect(cache.answer(for: key, now: .start.advanced(by: testCase.aliveAt)) == Self.listed)
        #expect(cache.answer(for: key, now: .start.advanced(by: testCase.goneAt)) == nil)
    }

    struct StoreCase: Sendable, CustomTestStringConvertible {
        var name: String
        var answer: DNSBLZoneAnswer
        var stored: Bool
        var testDescription: String { name }
    }

    static let storeCases: [StoreCase] = [
        .init(name: "listed is cached", answer: listed, stored: true),
        .init(name: "not listed is cached", answer: .notListed, stored: true),
        .init(name: "timeout is not cached", answer: .timedOut, stored: false),
        .init(name: "SERVFAIL is not cached", answer: .failed("SERVFAIL"), stored: false),
        .init(name: "skipped is not cached", answer: .skipped, stored: false),
    ]

    @Test("caches only definite answers", arguments: storeCases)
    func cachesDefinite(_ testCase: StoreCase) {
        var cache = DNSBLCache<ManualInstant>(capacity: 10)
        let key = DNSBLCacheKey(zone: "bl.example", client: Self.client)
        cache.store(testCase.answer, for: key, ttl: .seconds(300), now: .start)
        #expect((cache.answer(for: key, now: .start) != nil) == testCase.stored)
        #expect(cache.count == (testCase.stored ? 1 : 0))
    }

    @Test("keys by zone and client")
    func keysByZoneAndClient() {
        var cache = DNSBLCache<ManualInstant>(capacity: 10)
        let other = IPAddress(ipv4: (192, 0, 2, 8))
        cache.store(Self.listed, for: DNSBLCacheKey(zone: "a.example", client: Self.client), ttl: .seconds(300), now: .start)
        #expect(cache.answer(for: DNSBLCacheKey(zone: "a.example", client: Self.client), now: .start) == Self.listed)
        #expect(cache.answer(for: DNSBLCacheKey(zone: "b.example", client: Self.client), now: .start) == nil)
        #expect(cache.answer(for: DNSBLCacheKey(zone: "a.example", client: other), now: .start) == nil)
    }

    @Test("when full, expired entries go first")
    func evictsExpiredFirst() {
        var cache = DNSBLCache<ManualInstant>(capacity: 4)
        for index in 0..<4 {
            let key = DNSBLCacheKey(zone: "bl.example", client: IPAddress(ipv4: (192, 0, 2, UInt8(index))))
            // entry 0 lives 60 s, the others an hour
            cache.store(.notListed, for: key, ttl: index == 0 ? .seconds(60) : .seconds(3600), now: .start)
        }
        let later = ManualInstant.start.advanced(by: .seconds(120))
        cache.store(Self.listed, for: DNSBLCacheKey(zone: "bl.example", client: Self.client), ttl: .seconds(300), now: later)
        #expect(cache.count == 4)
        for index in 1..<4 {
            #expect(cache.answer(for: DNSBLCacheKey(zone: "bl.example", client: IPAddress(ipv4: (192, 0, 2, UInt8(index)))), now: later) == .notListed)
        }
        #expect(cache.answer(for: DNSBLCacheKey(zone: "bl.example", client: Self.client), now: later) == Self.listed)
    }

    @Test("when full of live entries, the soonest-expiring eighth goes")
    func evictsSoonestExpiring() {
        var cache = DNSBLCache<ManualInstant>(capacity: 16)
        func key(_ index: Int) -> DNSBLCacheKey {
            DNSBLCacheKey(zone: "bl.example", client: IPAddress(ipv4: (198, 51, 100, UInt8(index))))
        }
        for index in 0..<16 {
            // entry i expires at 100 s + i s: 0 and 1 expire soonest
            cache.store(.notListed, for: key(index), ttl: .seconds(100 + Int64(index)), now: .start)
        }
        cache.store(Self.listed, for: key(99), ttl: .seconds(200), now: .start)
        #expect(cache.count == 15)   // 16 - 2 (an eighth) + 1
        #expect(cache.answer(for: key(0), now: .start) == nil)
        #expect(cache.answer(for: key(1), now: .start) == nil)
        for index in 2..<16 { #expect(cache.answer(for: key(index), now: .start) == .notListed) }
        #expect(cache.answer(for: key(99), now: .start) == Self.listed)
    }

    @Test("refreshing an entry when full evicts nothing")
    func refreshDoesNotEvict() {
        var cache = DNSBLCache<ManualInstant>(capacity: 2)
        let first = DNSBLCacheKey(zone: "bl.example", client: Self.client)
        let second = DNSBLCacheKey(zone: "bl.example", client: IPAddress(ipv4: (192, 0, 2, 99)))
        cache.store(.notListed, for: first, ttl: .seconds(300), now: .start)
        cache.store(.notListed, for: second, ttl: .seconds(300), now: .start)
        cache.store(Self.listed, for: first, ttl: .seconds(300), now: .start)
        #expect(cache.count == 2)
        #expect(cache.answer(for: first, now: .start) == Self.listed)
        #expect(cache.answer(for: second, now: .start) == .notListed)
    }

    @Test("prune drops expired entries only")
    func prune() {
        var cache = DNSBLCache<ManualInstant>(capacity: 10)
        cache.store(.notListed, for: DNSBLCacheKey(zone: "a.example", client: Self.client), ttl: .seconds(60), now: .start)
        cache.store(.notListed, for: DNSBLCacheKey(zone: "b.example", client: Self.client), ttl: .seconds(600), now: .start)
        cache.prune(now: .start.advanced(by: .seconds(61)))
        #expect(cache.count == 1)
        #expect(cache.answer(for: DNSBLCacheKey(zone: "b.example", client: Self.client), now: .start.advanced(by: .seconds(61))) == .notListed)
    }
}
