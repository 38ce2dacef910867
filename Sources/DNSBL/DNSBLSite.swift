import NetworkAddress

/// One entry of `dnsbl_sites`, in Postfix postscreen syntax: `zone[=filter][*weight]`,
/// for example `zen.spamhaus.org=127.0.0.[2..11]*3`, `bl.example*2`,
/// `list.dnswl.org=127.0.[0..255].[1..3]*-2` (a negative weight allowlists).
///
/// Which answers count (relayguard.conf(5)):
/// - only A answers inside 127.0.0.0/8, ever;
/// - without a filter, any such answer except 127.0.0.1 and 127.255.255.0/24;
/// - with a filter, only answers the filter matches.
///
/// Why 127.0.0.1 and 127.255.255.0/24 are excluded without a filter: lists publish them as
/// error codes ("query refused", "open resolver", "over quota"); counting them would list
/// every client the day a list starts refusing our resolver.
public struct DNSBLSite: Hashable, Sendable, CustomStringConvertible {
    /// The DNS zone, lower case, without a trailing dot: `zen.spamhaus.org`.
    public var zone: String
    /// The reply filter, or nil to count any non-error answer.
    public var filter: DNSBLReplyFilter?
    /// Added to the client's score when the site lists it; default 1, negative allowed.
    public var weight: Int

    public init(zone: String, filter: DNSBLReplyFilter? = nil, weight: Int = 1) {
        self.zone = zone
        self.filter = filter
        self.weight = weight
    }

    /// Parses `zone[=filter][*weight]`; nil when invalid.
    public init?(_ text: some StringProtocol) {
        guard let parsed = try? DNSBLSite(parsing: text) else { return nil }
        self = parsed
    }

    /// The largest weight accepted, so that no sum of weights can overflow.
    static let weightLimit = 1_000_000

    public init(parsing text: some StringProtocol) throws(ConfigurationValueError) {
        let text = Substring(text)
        var rest = text
        var weight = 1
        if let star = rest.firstIndex(of: "*") {
            let weightText = rest[rest.index(after: star)...]
            let digits = weightText.hasPrefix("-") ? weightText.dropFirst() : weightText
            guard (1...7).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(weightText), abs(value) <= DNSBLSite.weightLimit else {
                throw ConfigurationValueError("bad DNSBL site \"\(text)\": the weight after * must be a whole number, like *2 or *-2")
            }
            weight = value
            rest = rest[..<star]
        }
        var filter: DNSBLReplyFilter?
        if let equals = rest.firstIndex(of: "=") {
            filter = try DNSBLReplyFilter(parsing: rest[rest.index(after: equals)...])
            rest = rest[..<equals]
        }
        guard let zone = DomainNameSyntax.canonicalName(rest) else {
            throw ConfigurationValueError("bad DNSBL site \"\(text)\": \"\(rest)\" is not a DNS zone name")
        }
        self.init(zone: zone, filter: filter, weight: weight)
    }

    /// True when `answer`, an A record returned for a client, counts as a listing.
    public func matches(_ answer: IPAddress) -> Bool {
        guard answer.isIPv4 else { return false }
        let bytes = answer.bytes
        guard bytes[0] == 127 else { return false }
        if let filter {
            return filter.matches(answer)
        }
        let isErrorCode = bytes == [127, 0, 0, 1] || (bytes[1] == 255 && bytes[2] == 255)
        return !isErrorCode
    }

    /// The entry in configuration syntax; `*1` is left out.
    public var description: String {
        var text = zone
        if let filter { text += "=\(filter)" }
        if weight != 1 { text += "*\(weight)" }
        return text
    }
}
