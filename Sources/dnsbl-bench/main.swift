// dnsbl-bench: how fast relayguard's DNSBL lookups are, against a real DNS server.
//
//   dnsbl-bench --server 127.0.0.1:PORT [--zone bl.test] [--count 20000] [--concurrency 200]
//
// Prints three figures:
// 1. network lookups per second: `count` distinct clients checked through `DNSBLChecker` (one
//    zone, one A query each, cache empty), at most `concurrency` checks in flight, on one event
//    loop thread, as the proxy does it;
// 2. the cost of a cache hit inside `DNSBLCache` (ns per lookup);
// 3. the cost of a whole cached check, `DNSBLChecker.cachedResult` (ns per check: clock read,
//    cache lookup per zone, scoring, result value).
// With `--probe ZONE,ZONE,...` it instead runs one health probe of those zones and one check of
// each `--client` address (comma-separated), printing the transitions and results: a quick look at
// what relayguard's own resolver makes of a zone.
// bench/dnsbl-bench.sh starts a dnsmasq (Tests/EndToEnd/dnsmasq-zone.sh) and runs this.
import Glibc

import RelayPolicy
import NetworkAddress
import DNSBL
import EventIO
import DNSBLResolver

/// One benchmark run; a class so the loop's callbacks can count into it.
final class DNSBLBenchmark {
    let site: DNSBLSite
    let count: Int
    let concurrency: Int
    let loop: EventLoop
    let checker: DNSBLChecker
    var started = 0
    var finished = 0
    var timedOut = 0
    var failed = 0
    var listed = 0

    init(server: SocketAddress, site: DNSBLSite, count: Int, concurrency: Int) throws {
        self.site = site
        self.count = count
        self.concurrency = concurrency
        loop = try EventLoop()
        let resolver = try DNSResolver(servers: [server], loop: loop)
        checker = DNSBLChecker(sites: [site], threshold: 1, timeout: .seconds(2), resolver: resolver,
                               fetchText: false, cacheCapacity: max(count, 1000))
    }

    /// Client number `index` as a distinct address in 10.0.0.0/8.
    static func client(_ index: Int) -> IPAddress {
        IPAddress(ipv4Value: 0x0A00_0000 | UInt32(index + 1))
    }

    func run() {
        // 1. Network lookups.
        let start = MonotonicClock.now()
        for _ in 0..<min(concurrency, count) { startNext() }
        loop.run()
        let networkSeconds = seconds(start.duration(to: MonotonicClock.now()))
        let statistics = checker.resolver.statistics
        print("network: \(count) checks (1 zone, distinct clients, \(concurrency) in flight) in \(decimal(networkSeconds, 3)) s"
              + " = \(Int(Double(count) / networkSeconds)) lookups/s; timeouts \(timedOut), errors \(failed), listed \(listed),"
              + " queries sent \(statistics.queriesSent), retries \(statistics.retries)")

        // 2. Cache hits in the pure cache.
        var cache = DNSBLCache<MonotonicClock.Instant>(capacity: count)
        let now = MonotonicClock.now()
        let keys = (0..<count).map { DNSBLCacheKey(zone: site.zone, client: Self.client($0)) }
        for key in keys { cache.store(.notListed, for: key, ttl: .seconds(300), now: now) }
        let rounds = max(1, 2_000_000 / count)
        var hits = 0
        let cacheStart = MonotonicClock.now()
        for _ in 0..<rounds {
            for key in keys where cache.answer(for: key, now: now) != nil { hits += 1 }
        }
        let perHit = seconds(cacheStart.duration(to: MonotonicClock.now())) * 1e9 / Double(max(hits, 1))
        print("cache: \(hits) hits in DNSBLCache (\(count) entries) = \(decimal(perHit, 0)) ns per lookup")

        // 3. Whole cached checks through the checker (its cache was filled by phase 1).
        var cachedResults = 0
        let checkRounds = max(1, 500_000 / count)
        let checkStart = MonotonicClock.now()
        for _ in 0..<checkRounds {
            for index in 0..<count where checker.cachedResult(client: Self.client(index)) != nil { cachedResults += 1 }
        }
        let perCheck = seconds(checkStart.duration(to: MonotonicClock.now())) * 1e9 / Double(max(cachedResults, 1))
        print("checker: \(cachedResults) cached checks of \(count * checkRounds) = \(decimal(perCheck, 0)) ns per check")
        checker.close()
    }

    private func startNext() {
        guard started < count else { return }
        let index = started
        started += 1
        checker.check(client: Self.client(index)) { [self] result in
            finished += 1
            if !result.timedOutZones.isEmpty { timedOut += 1 }
            if !result.failedZones.isEmpty { failed += 1 }
            if result.isListed { listed += 1 }
            if finished == count { loop.stop() } else { startNext() }
        }
    }
}

/// A duration in seconds, as a floating-point number.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// `value` with `digits` decimals (no Foundation here).
func decimal(_ value: Double, _ digits: Int) -> String {
    var scale = 1
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * Double(scale)).rounded())
    guard digits > 0 else { return String(scaled) }
    let fraction = String(scaled % scale)
    return "\(scaled / scale).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

func argument(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    let line = Array("dnsbl-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// `--probe`: health transitions of the zones, then one check per client.
func probe(server: SocketAddress, zones: [DNSBLSite], clients: [IPAddress]) throws {
    let loop = try EventLoop()
    let checker = DNSBLChecker(sites: zones, threshold: 1, timeout: .seconds(2), resolver: try DNSResolver(servers: [server], loop: loop))
    checker.probeZoneHealth { transitions in
        for transition in transitions { print("health: \(transition)") }
        var remaining = clients.count
        if remaining == 0 { loop.stop() }
        for client in clients {
            checker.check(client: client) { result in
                print("check \(client): score \(result.score.score) listed \(result.isListed) hits \(result.score.hits)"
                      + " timedOut \(result.timedOutZones) failed \(result.failedZones) skipped \(result.skippedZones)"
                      + " text \(result.text ?? "-") reason \(result.reason?.rawValue ?? "-")")
                remaining -= 1
                if remaining == 0 { loop.stop() }
            }
        }
    }
    loop.run()
    checker.close()
}

guard let server = SocketAddress(argument("--server", default: "127.0.0.1:53")) else { fail("bad --server") }
if CommandLine.arguments.contains("--probe") {
    let zones = argument("--probe", default: "").split(separator: ",").compactMap { DNSBLSite($0) }
    let clients = argument("--client", default: "").split(separator: ",").compactMap { IPAddress($0) }
    do { try probe(server: server, zones: zones, clients: clients) } catch { fail("\(error)") }
    exit(0)
}
guard let site = DNSBLSite(argument("--zone", default: "bl.test")) else { fail("bad --zone") }
guard let count = Int(argument("--count", default: "20000")), count > 0, count < 16_000_000 else { fail("bad --count") }
guard let concurrency = Int(argument("--concurrency", default: "200")), concurrency > 0 else { fail("bad --concurrency") }
do {
    try DNSBLBenchmark(server: server, site: site, count: count, concurrency: concurrency).run()
} catch {
    fail("\(error)")
}
