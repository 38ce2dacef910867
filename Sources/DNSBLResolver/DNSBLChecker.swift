// DNSBLChecker: looks a client up in every `dnsbl_sites` zone at once, on the event loop.
//
// Contract (loop thread only):
// - `check(client:completion:)` returns at once; the completion runs once, on a later turn, with
//   a `DNSBLResult`, at the latest `dnsbl_timeout` after the call (plus one loop turn), unless the
//   returned `DNSBLCheck` was cancelled. All zones are asked in parallel; the cache is consulted
//   first; a lookup already in flight for the same (zone, client) is joined, not repeated.
// - A zone that times out or fails counts as not listing the client (fail open) and is named in
//   the result (`timedOutZones`, `failedZones`) so the session can log `dnsbl_timeout` or
//   `dnsbl_error`. A zone disabled by its health check is not asked (`skippedZones`).
// - With `fetchText` on, the TXT record of a zone is asked as soon as that zone's answer raises
//   the score, within what is left of `dnsbl_timeout`; when the client ends up listed, the first
//   listing zone's cleaned text is `result.text`.
// - Health: `probeZoneHealth` asks every zone for 127.0.0.2 and 127.0.0.1 (RFC 5782) and feeds
//   each zone's `ZoneHealth`; `startHealthChecks` does that at once and then every interval and
//   hands each state change to its callback, which must log it (the checker writes no log).
//   Client lookups feed the health too: a zone that keeps timing out is suspended (no session
//   waits for it) and probed every `recheckInterval` until it answers; `onServersAnswering`
//   hears after each probe round whether the DNS servers answered at all.
// - `close()` stops the health checks and closes the resolver, which the checker owns.
//
// Why the completion never runs inside `check`: a session calls `check` from its accept path;
// a callback in the middle of that would re-enter a half-built session.
import DNSBL
import RelayPolicy
import NetworkAddress
import EventIO

public final class DNSBLChecker {
    public let sites: [DNSBLSite]
    /// The distinct zones of `sites`, in order.
    public let zones: [String]
    public let threshold: Int
    public let timeout: Duration
    public let fetchText: Bool
    public let resolver: DNSResolver
    public var loop: EventLoop { resolver.loop }

    /// Zone answers served from the cache / asked over the network, since start.
    public private(set) var cacheHits = 0
    public private(set) var cacheMisses = 0

    private var cache: DNSBLCache<MonotonicClock.Instant>
    private var health: [String: ZoneHealth]
    private var inFlight: [DNSBLCacheKey: [(DNSBLZoneAnswer) -> Void]] = [:]
    private var healthTimer: TimerHandle?
    /// The state-change callback given to `startHealthChecks`; lookups that suspend a zone use it too.
    private var transitionHandler: ((ZoneHealthTransition) -> Void)?
    /// Called after every health probe round: whether any test-point lookup got an answer
    /// (false: the DNS servers are not answering).
    public var onServersAnswering: ((Bool) -> Void)?
    /// How often the probes run while a zone is suspended or the servers do not answer.
    public var recheckInterval: Duration = .seconds(20)
    /// Whether the last probe round got any answer (nil before the first).
    public private(set) var serversAnswering: Bool?
    private var healthProbeRunning = false
    private var isClosed = false

    public init(sites: [DNSBLSite], threshold: Int, timeout: Duration, resolver: DNSResolver,
                fetchText: Bool = true, cacheCapacity: Int = 50_000) {
        self.sites = sites
        var zones: [String] = []
        for site in sites where !zones.contains(site.zone) { zones.append(site.zone) }
        self.zones = zones
        self.threshold = threshold
        self.timeout = timeout
        self.fetchText = fetchText
        self.resolver = resolver
        self.cache = DNSBLCache(capacity: cacheCapacity)
        self.health = Dictionary(uniqueKeysWithValues: zones.map { ($0, ZoneHealth(zone: $0)) })
    }

    /// The checker for a configuration: `dnsbl_sites`, `dnsbl_threshold`, `dnsbl_timeout`, and
    /// `dns_servers` or else /etc/resolv.conf (read now, once). Nil when `dnsbl_sites` is empty.
    public static func make(configuration: Configuration, loop: EventLoop,
                            resolvConfPath: String = "/etc/resolv.conf") throws(SocketError) -> DNSBLChecker? {
        guard !configuration.dnsblSites.isEmpty else { return nil }
        let servers = NameServerList.servers(configured: configuration.dnsServers, resolvConfPath: resolvConfPath)
        let resolver = try DNSResolver(servers: servers, loop: loop)
        return DNSBLChecker(sites: configuration.dnsblSites, threshold: configuration.dnsblThreshold,
                            timeout: configuration.dnsblTimeout, resolver: resolver)
    }

    // MARK: Client checks

    /// Starts the lookups for `client`; see the file comment.
    @discardableResult
    public func check(client: IPAddress, completion: @escaping (DNSBLResult) -> Void) -> DNSBLCheck {
        let now = loop.now()
        let check = DNSBLCheck(client: client, started: now, zoneCount: zones.count, completion: completion)
        guard !zones.isEmpty else {
            loop.runSoon { [self] in complete(check) }
            return check
        }
        var answeredAtOnce = 0
        for zone in zones {
            if let answer = immediateAnswer(zone: zone, client: client, now: now) {
                check.answers[zone] = answer
                if answer.isDefinite { check.cachedZones.append(zone) }
                answeredAtOnce += 1
                fetchTextIfListing(check, zone: zone, answer: answer)
                continue
            }
            lookUp(zone: zone, client: client) { [self] answer in
                check.answers[zone] = answer
                fetchTextIfListing(check, zone: zone, answer: answer)
                zoneAnswered(check)
            }
        }
        check.zonesOutstanding -= answeredAtOnce
        if check.zonesOutstanding == 0 {
            loop.runSoon { [self] in finishZones(check) }
        }
        return check
    }

    /// The result for `client` when every zone can be answered without the network (cache,
    /// disabled zones), else nil. Synchronous: the session may use it at accept, and the
    /// benchmark measures it as the cost of a cache hit.
    public func cachedResult(client: IPAddress) -> DNSBLResult? {
        let now = loop.now()
        var answers: [String: DNSBLZoneAnswer] = [:]
        answers.reserveCapacity(zones.count)
        for zone in zones {
            guard let answer = immediateAnswer(zone: zone, client: client, now: now) else { return nil }
            answers[zone] = answer
        }
        return DNSBLResult(client: client, sites: sites, threshold: threshold, answers: answers,
                           cachedZones: zones.filter { answers[$0]?.isDefinite == true })
    }

    /// Drops expired cache entries (the proxy may call this on a timer; the cache also prunes
    /// itself when full).
    public func pruneCache() {
        cache.prune(now: loop.now())
    }

    public var cachedEntries: Int { cache.count }

    private func immediateAnswer(zone: String, client: IPAddress, now: MonotonicClock.Instant) -> DNSBLZoneAnswer? {
        if health[zone]?.isEnabled == false { return .skipped }
        if let answer = cache.answer(for: DNSBLCacheKey(zone: zone, client: client), now: now) {
            cacheHits += 1
            return answer
        }
        return nil
    }

    /// Asks `zone` about `client` over the network (joining a lookup in flight), caches a
    /// definite answer, and calls `completion` with it.
    private func lookUp(zone: String, client: IPAddress, completion: @escaping (DNSBLZoneAnswer) -> Void) {
        let key = DNSBLCacheKey(zone: zone, client: client)
        if inFlight[key] != nil {
            inFlight[key]!.append(completion)
            return
        }
        cacheMisses += 1
        inFlight[key] = [completion]
        let name = DNSBLQueryName.name(forClientBytes: client.bytes, zone: zone)
        resolver.lookup(name, type: .a, timeout: timeout) { [self] outcome in
            let (answer, ttl) = Self.zoneAnswer(outcome)
            if let ttl { cache.store(answer, for: key, ttl: ttl, now: loop.now()) }
            if let transition = health[zone]?.recordLookup(answer) { transitionHandler?(transition) }
            let waiters = inFlight.removeValue(forKey: key) ?? []
            for waiter in waiters { waiter(answer) }
        }
    }

    private func zoneAnswered(_ check: DNSBLCheck) {
        check.zonesOutstanding -= 1
        if check.zonesOutstanding == 0 { finishZones(check) }
    }

    /// Starts the TXT lookup of `zone` for `check` when `answer` raises the client's score there.
    /// Why at once: the text then arrives while slower zones are still being waited for.
    private func fetchTextIfListing(_ check: DNSBLCheck, zone: String, answer: DNSBLZoneAnswer) {
        guard fetchText, check.isPending else { return }
        let raises = sites.contains { $0.zone == zone && $0.weight > 0 && answer.answerAddresses.contains(where: $0.matches) }
        let remaining = loop.now().duration(to: check.started.advanced(by: timeout))
        guard raises, remaining > .milliseconds(20) else { return }
        check.textsOutstanding += 1
        let name = DNSBLQueryName.name(forClientBytes: check.client.bytes, zone: zone)
        let lookup = resolver.lookup(name, type: .txt, timeout: remaining) { [self] outcome in
            if case .answer(let answers, _, _) = outcome, answers.responseCode == .noError,
               let text = answers.texts.lazy.compactMap({ DNSBLReplyText.clean($0.strings) }).first {
                check.texts[zone] = text
            }
            check.textsOutstanding -= 1
            if check.zonesOutstanding == 0 && check.textsOutstanding == 0 { finishZones(check) }
        }
        check.textLookups.append(lookup)
    }

    /// Every zone answered: complete once the TXT lookups started for it are done too.
    private func finishZones(_ check: DNSBLCheck) {
        guard check.isPending, check.textsOutstanding == 0 else { return }
        let score = DNSBLScore(sites: sites, answers: check.answers, threshold: threshold)
        let text = score.isListed ? score.listingZones.lazy.compactMap { check.texts[$0] }.first : nil
        complete(check, text: text)
    }

    private func complete(_ check: DNSBLCheck, text: String? = nil) {
        guard let completion = check.completion else { return }
        check.completion = nil
        check.textLookups = []
        completion(DNSBLResult(client: check.client, sites: sites, threshold: threshold, answers: check.answers,
                               cachedZones: check.cachedZones, text: text))
    }

    /// A lookup outcome as a zone answer, with the TTL to cache it for (nil: do not cache).
    static func zoneAnswer(_ outcome: DNSLookupOutcome) -> (DNSBLZoneAnswer, Duration?) {
        switch outcome {
        case .answer(let answers, let negativeTTL, _):
            switch answers.responseCode {
            case .noError where !answers.addresses.isEmpty:
                let addresses = answers.addresses.map { IPAddress(ipv4: ($0.address[0], $0.address[1], $0.address[2], $0.address[3])) }
                let ttl = answers.addresses.map(\.ttl).min() ?? 0
                return (.addresses(addresses), .seconds(Int64(ttl)))
            case .noError, .nameError:
                return (.notListed, .seconds(Int64(negativeTTL ?? 0)))
            default:
                return (.failed(answers.responseCode.description), nil)
            }
        case .timedOut:
            return (.timedOut, nil)
        case .failed(let why):
            return (.failed(why), nil)
        }
    }

    // MARK: Zone health

    /// The health state of `zone` (`.unchecked` for a zone not in `dnsbl_sites`).
    public func healthState(of zone: String) -> ZoneHealthState {
        health[zone]?.state ?? .unchecked
    }

    /// Probes every zone's RFC 5782 test points once; the completion gets the state changes.
    public func probeZoneHealth(completion: @escaping ([ZoneHealthTransition]) -> Void) {
        guard !zones.isEmpty else {
            loop.runSoon { completion([]) }
            return
        }
        var transitions: [ZoneHealthTransition] = []
        var outstanding = zones.count
        var answered = false
        for zone in zones {
            var listed: DNSBLZoneAnswer?
            var unlisted: DNSBLZoneAnswer?
            let conclude = { [self] in
                guard let listed, let unlisted else { return }
                for answer in [listed, unlisted] {
                    if case .addresses = answer { answered = true }
                    if case .notListed = answer { answered = true }
                }
                if let transition = health[zone]?.record(ZoneHealthProbe(mustBeListed: listed, mustNotBeListed: unlisted)) {
                    transitions.append(transition)
                }
                outstanding -= 1
                if outstanding == 0 {
                    serversAnswering = answered
                    completion(transitions)
                }
            }
            let listedName = DNSBLQueryName.name(forClientBytes: ZoneHealthProbe.listedTestPoint.bytes, zone: zone)
            let unlistedName = DNSBLQueryName.name(forClientBytes: ZoneHealthProbe.unlistedTestPoint.bytes, zone: zone)
            resolver.lookup(listedName, type: .a, timeout: timeout) { outcome in
                listed = Self.zoneAnswer(outcome).0
                conclude()
            }
            resolver.lookup(unlistedName, type: .a, timeout: timeout) { outcome in
                unlisted = Self.zoneAnswer(outcome).0
                conclude()
            }
        }
    }

    /// Probes now and then every `interval`, calling `onTransition` for each state change.
    /// Log the ones with `isAlarm` loudly (a zone disabled or re-enabled).
    public func startHealthChecks(every interval: Duration = .seconds(300),
                                  onTransition: @escaping (ZoneHealthTransition) -> Void) {
        guard !isClosed, !healthProbeRunning, healthTimer == nil else { return }
        healthProbeRunning = true
        transitionHandler = onTransition
        probeZoneHealth { [weak self] transitions in
            guard let self, !isClosed else { return }
            healthProbeRunning = false
            transitions.forEach(onTransition)
            if let serversAnswering { onServersAnswering?(serversAnswering) }
            // Sooner while something is wrong: a suspended zone comes back within recheckInterval.
            let troubled = serversAnswering == false || health.values.contains { $0.isSuspendedForTimeouts }
            healthTimer = loop.schedule(after: troubled ? min(interval, recheckInterval) : interval) { [weak self] in
                self?.healthTimer = nil
                self?.startHealthChecks(every: interval, onTransition: onTransition)
            }
        }
    }

    /// Stops the health checks and closes the resolver (pending lookups end without callbacks).
    public func close() {
        isClosed = true
        if let healthTimer { loop.cancel(healthTimer) }
        healthTimer = nil
        resolver.close()
        inFlight = [:]
    }
}
