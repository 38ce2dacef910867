// DNSLookupOutcome: how one DNS lookup of `DNSResolver` ended.
//
// Contract: `.answer` is a reply that matched the query (ID, QR, question name and type), of any
// RCODE, read over UDP or, after a truncated UDP reply, over TCP; `negativeTTL` is the RFC 2308
// caching time of a negative reply when it carried an SOA. `.timedOut`: no matching reply within
// the lookup's timeout, after one retry. `.failed`: the query could not be built or sent, or the
// TCP fallback broke; the text says how, for the log.
import DNSBL

public enum DNSLookupOutcome: Sendable, Equatable {
    case answer(DNSAnswerSet, negativeTTL: UInt32?, overTCP: Bool)
    case timedOut
    case failed(String)
}
