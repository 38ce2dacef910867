import DecisionLog
import NetworkAddress

/// Everything a session learns from the DNSBL lookups of its client: the score, the zones that
/// could not be asked, and the list's own text.
///
/// Why one value: the session logs it (event `dnsbl`, `dnsbl_score`, `dnsbl_hits`, a reason)
/// and turns it into `ClientStanding.dnsblListing`; both read the same facts.
public struct DNSBLResult: Sendable, Equatable {
    /// The client looked up (an IPv4-mapped address is its IPv4 address).
    public var client: IPAddress
    public var score: DNSBLScore
    /// Zones with no reply within `dnsbl_timeout`, counted as not listing the client.
    public var timedOutZones: [String]
    /// Zones that failed (SERVFAIL, REFUSED, bad reply), counted as not listing the client.
    public var failedZones: [String]
    /// Zones not asked because their health check disabled them.
    public var skippedZones: [String]
    /// Zones answered from the cache.
    public var cachedZones: [String]
    /// The TXT text of the first listing zone that had one, cleaned (`DNSBLReplyText`).
    public var text: String?

    public init(client: IPAddress, score: DNSBLScore, timedOutZones: [String] = [], failedZones: [String] = [],
                skippedZones: [String] = [], cachedZones: [String] = [], text: String? = nil) {
        self.client = client
        self.score = score
        self.timedOutZones = timedOutZones
        self.failedZones = failedZones
        self.skippedZones = skippedZones
        self.cachedZones = cachedZones
        self.text = text
    }

    /// Builds the result from the zone answers.
    public init(client: IPAddress, sites: [DNSBLSite], threshold: Int, answers: [String: DNSBLZoneAnswer],
                cachedZones: [String] = [], text: String? = nil) {
        var timedOut: [String] = []
        var failed: [String] = []
        var skipped: [String] = []
        var seen: Set<String> = []
        for site in sites where seen.insert(site.zone).inserted {
            switch answers[site.zone] {
            case .timedOut?: timedOut.append(site.zone)
            case .failed?: failed.append(site.zone)
            case .skipped?: skipped.append(site.zone)
            case .addresses?, .notListed?, nil: break
            }
        }
        self.init(client: client, score: DNSBLScore(sites: sites, answers: answers, threshold: threshold),
                  timedOutZones: timedOut, failedZones: failed, skippedZones: skipped,
                  cachedZones: cachedZones, text: text)
    }

    /// Score at or above `dnsbl_threshold`.
    public var isListed: Bool { score.isListed }

    /// The reason of the `dnsbl` log record: `dnsbl_listed` when listed, else `dnsbl_timeout`
    /// when a zone timed out, else `dnsbl_error` when a zone failed, else nil (a clean lookup,
    /// logged with reason `accepted` or not at all, as the session prefers).
    public var reason: Reason? {
        if isListed { return .dnsblListed }
        if !timedOutZones.isEmpty { return .dnsblTimeout }
        if !failedZones.isEmpty { return .dnsblError }
        return nil
    }

    /// `ClientStanding.dnsblListing` for `action`: the listing zones when the client is listed
    /// and the action is `reject`; nil otherwise (`log` never refuses; `reject-at-connect` has
    /// already refused at the greeting).
    public func listing(for action: DNSBLAction) -> [String]? {
        switch action {
        case .reject: isListed ? score.listingZones : nil
        case .rejectAtConnect, .log: nil
        }
    }
}
