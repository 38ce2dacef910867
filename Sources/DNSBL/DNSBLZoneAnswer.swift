import NetworkAddress

/// What one DNSBL zone said about one client: the raw material of `DNSBLScore`.
///
/// The transport maps DNS outcomes onto these cases: NOERROR with A records is `.addresses`
/// (whatever they are: the site decides what counts), NXDOMAIN or NOERROR without A records is
/// `.notListed`, no reply within the time allowed is `.timedOut`, SERVFAIL, REFUSED, a malformed
/// reply or a socket error is `.failed`, and a zone switched off by its health check is
/// `.skipped`.
///
/// Why timeouts and failures are kept apart from "not listed": all three count as not listed
/// (fail open), but the decision log must say which (`dnsbl_timeout`, `dnsbl_error`, relayguard(8), DECISION LOG).
public enum DNSBLZoneAnswer: Sendable, Hashable {
    /// The A records of the answer, in order (any address; filtering is the site's job).
    case addresses([IPAddress])
    /// NXDOMAIN, or an answer without A records.
    case notListed
    /// No usable reply within `dnsbl_timeout` (after the retry).
    case timedOut
    /// The server failed (SERVFAIL, REFUSED, ...) or the reply was unusable; the text says how.
    case failed(String)
    /// Not asked: the zone is disabled by its RFC 5782 health check.
    case skipped

    /// The A records when the zone answered some; empty otherwise.
    public var answerAddresses: [IPAddress] {
        switch self {
        case .addresses(let list): list
        case .notListed, .timedOut, .failed, .skipped: []
        }
    }

    /// A definite answer (listed or not), as opposed to a timeout, failure or skip; only these
    /// may be cached.
    public var isDefinite: Bool {
        switch self {
        case .addresses, .notListed: true
        case .timedOut, .failed, .skipped: false
        }
    }
}
