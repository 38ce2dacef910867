/// A client's DNSBL score: the sum of the weights of the `dnsbl_sites` entries whose zone's
/// answer they count (Postfix postscreen semantics), compared with `dnsbl_threshold`.
///
/// Rules:
/// - each entry of `dnsbl_sites` adds its weight at most once, when any A answer of its zone
///   matches it (`DNSBLSite.matches`: inside 127.0.0.0/8 only; without a filter, never
///   127.0.0.1 nor 127.255.255.0/24); two entries for one zone with different filters are
///   counted separately, as postscreen does;
/// - a negative weight lowers the score (an allowlist such as `list.dnswl.org*-2`);
/// - a zone that timed out, failed or was skipped adds nothing (fail open);
/// - the client is listed when `score >= threshold`.
///
/// `hits` names every counted answer as `zone=address` (`zen.spamhaus.org=127.0.0.2`), in site
/// order, without duplicates, allowlist hits included: the log shows why the score is what it is.
/// `listingZones` are the zones that raised the score (positive weight), for the reply text.
public struct DNSBLScore: Sendable, Equatable {
    public var score: Int
    public var threshold: Int
    public var hits: [String]
    public var listingZones: [String]

    public init(score: Int, threshold: Int, hits: [String], listingZones: [String]) {
        self.score = score
        self.threshold = threshold
        self.hits = hits
        self.listingZones = listingZones
    }

    /// Scores `answers` (keyed by zone, as in `DNSBLSite.zone`) against `sites`.
    public init(sites: [DNSBLSite], answers: [String: DNSBLZoneAnswer], threshold: Int) {
        var score = 0
        var hits: [String] = []
        var listingZones: [String] = []
        for site in sites {
            let matching = (answers[site.zone]?.answerAddresses ?? []).filter(site.matches)
            guard !matching.isEmpty else { continue }
            score += site.weight
            for address in matching {
                let hit = "\(site.zone)=\(address)"
                if !hits.contains(hit) { hits.append(hit) }
            }
            if site.weight > 0 && !listingZones.contains(site.zone) {
                listingZones.append(site.zone)
            }
        }
        self.init(score: score, threshold: threshold, hits: hits, listingZones: listingZones)
    }

    /// Score at or above the threshold.
    public var isListed: Bool { score >= threshold }
}
