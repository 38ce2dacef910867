import NetworkAddress

/// Why a DNSBL zone was disabled by its health check.
public enum ZoneHealthFault: Sendable, Hashable, CustomStringConvertible {
    /// The zone answers for 127.0.0.1, so it would list everyone: a list that was shut down and
    /// now lists the world, or one refusing our resolver with an error code such as
    /// 127.255.255.254 ("public resolver").
    case listsLoopback([IPAddress])
    /// The zone does not list 127.0.0.2 (NXDOMAIN, or no answer inside 127.0.0.0/8): the list is
    /// gone or not a DNSBL, and its "not listed" means nothing.
    case missesTestPoint(DNSBLZoneAnswer)

    public var description: String {
        switch self {
        case .listsLoopback(let answers):
            "it lists 127.0.0.1 (answer \(answers.map(\.description).joined(separator: ", ")))"
        case .missesTestPoint(let answer):
            switch answer {
            case .addresses(let list): "it does not list 127.0.0.2 (answer \(list.map(\.description).joined(separator: ", ")))"
            case .notListed: "it does not list 127.0.0.2 (no such name)"
            case .timedOut, .failed, .skipped: "it does not list 127.0.0.2"
            }
        }
    }
}
