// DNSBLCheck: the DNSBL lookups of one client, as a handle its session may cancel.
//
// Contract (loop thread only): created by `DNSBLChecker.check`; gathers one `DNSBLZoneAnswer`
// per zone and (when TXT is wanted) the text of every zone whose answer raises the score, asked
// as soon as that zone's answer is in; then calls the completion once with the `DNSBLResult`. `cancel()` (a session that closes first) makes sure
// the completion never runs; lookups already sent still finish and fill the cache.
import RelayPolicy
import NetworkAddress
import DNSBL
import EventIO

public final class DNSBLCheck {
    public let client: IPAddress
    /// When the check started; with `dnsbl_timeout` this bounds the TXT lookup too.
    public let started: MonotonicClock.Instant
    var answers: [String: DNSBLZoneAnswer] = [:]
    var cachedZones: [String] = []
    var zonesOutstanding: Int
    var textLookups: [DNSLookup] = []
    /// TXT lookups started and not yet finished.
    var textsOutstanding = 0
    /// Cleaned TXT text per zone, as the answers come in.
    var texts: [String: String] = [:]
    var completion: ((DNSBLResult) -> Void)?

    init(client: IPAddress, started: MonotonicClock.Instant, zoneCount: Int, completion: @escaping (DNSBLResult) -> Void) {
        self.client = client
        self.started = started
        self.zonesOutstanding = zoneCount
        self.completion = completion
    }

    /// True until the completion has run or the check was cancelled.
    public var isPending: Bool { completion != nil }

    public func cancel() {
        completion = nil
        textLookups.forEach { $0.cancel() }
        textLookups = []
    }
}
