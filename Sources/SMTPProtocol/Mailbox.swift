/// The domain part of an address, as RFC 5321 section 4.1.2 defines it.
public enum Domain: Hashable, Sendable {
    /// A host name, as sent (case preserved, no trailing-dot removal).
    case name(String)
    /// An address literal: `[192.0.2.1]`, `[IPv6:2001:db8::1]` or a general literal `[tag:content]`.
    case addressLiteral(AddressLiteral)
}

/// An RFC 5321 address literal, with the text between the brackets.
public enum AddressLiteral: Hashable, Sendable {
    /// `[192.0.2.1]`: the dotted quad, as sent.
    case ipv4(String)
    /// `[IPv6:2001:db8::1]`: the address after `IPv6:`, as sent.
    case ipv6(String)
    /// `[tag:content]`: a general address literal.
    case general(tag: String, content: String)
}

/// An RFC 5321 `Mailbox` (or, for rules 2 and 3 of the relay decision, a bare local part),
/// optionally preceded by the obsolete source route (`@a,@b:user@c`).
public struct Mailbox: Hashable, Sendable {
    /// The local part with quoting removed: `"a b"@x` has local part `a b`.
    public var localPart: String
    /// True when the local part was sent as a quoted string.
    public var localPartIsQuoted: Bool
    /// The domain, or nil for a bare local part such as `<postmaster>`.
    public var domain: Domain?
    /// The domains of the source route, in order; empty when there is none.
    public var sourceRoute: [String]
    /// The address as sent, between the angle brackets (source route included).
    public var raw: String

    public init(localPart: String, localPartIsQuoted: Bool = false, domain: Domain?, sourceRoute: [String] = [], raw: String) {
        self.localPart = localPart
        self.localPartIsQuoted = localPartIsQuoted
        self.domain = domain
        self.sourceRoute = sourceRoute
        self.raw = raw
    }
}

/// The argument of `MAIL FROM`: the null path `<>` or a mailbox.
public enum ReversePath: Hashable, Sendable {
    case null
    case mailbox(Mailbox)
}
