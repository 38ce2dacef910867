/// What the relay decision knows about the client of a session when a RCPT arrives.
/// The session fills it in; the decision never looks anything up itself.
public struct ClientStanding: Sendable, Equatable {
    /// The client address is in `trusted_networks`.
    public var isTrusted: Bool
    /// The client authenticated through the backend (a `235` to AUTH, only after STARTTLS).
    public var isAuthenticated: Bool
    /// The DNSBL zones that list the client when its score reached `dnsbl_threshold` and
    /// `dnsbl_action = reject`; nil when the client is not to be refused for a listing.
    public var dnsblListing: [String]?
    /// The client talked before the greeting and `pregreet_action = reject`: its RCPTs are
    /// refused (postmaster exempt).
    public var isEarlyTalker = false

    public init(isTrusted: Bool = false, isAuthenticated: Bool = false, dnsblListing: [String]? = nil) {
        self.isTrusted = isTrusted
        self.isAuthenticated = isAuthenticated
        self.dnsblListing = dnsblListing
    }

    /// Trusted or authenticated: may relay, may route, is never tarpitted.
    public var mayRelay: Bool { isTrusted || isAuthenticated }
}
