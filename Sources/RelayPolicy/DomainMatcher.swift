import SMTPProtocol
import NetworkAddress

/// Matches the domain of an address against a list from the configuration
/// (`local_domains`, `relay_domains`).
///
/// Entries, as an administrator writes them:
/// - `example.org` matches exactly that domain;
/// - `.example.org` matches every subdomain of it (`mx.example.org`, `a.b.example.org`),
///   but not `example.org` itself — list both to get both, as with Postfix's leading-dot form;
/// - `[192.0.2.1]` or `[IPv6:2001:db8::1]` makes that address literal local.
///
/// Domains compare case-insensitively and without a trailing dot (relayguard.conf(5), RELAY DECISION).
/// Address literals compare by address, not by text, so `[IPv6:2001:DB8:0::1]` matches
/// `[IPv6:2001:db8::1]`.
public struct DomainMatcher: Sendable, Equatable {
    private var exact: Set<String> = []
    private var parents: [String] = []      // ".example.org" stored as "example.org"
    private var literals: Set<String> = []  // canonical literal keys, see `literalKey`

    /// Builds the matcher from configuration entries. Entries the configuration parser
    /// validated are assumed; anything else simply never matches.
    public init(_ entries: [String]) {
        for entry in entries {
            let text = Self.normalise(entry)
            if text.hasPrefix("[") && text.hasSuffix("]") {
                if let key = Self.literalKey(bracketed: text) { literals.insert(key) }
            } else if text.hasPrefix(".") {
                let parent = String(text.dropFirst())
                if !parent.isEmpty { parents.append(parent) }
            } else if !text.isEmpty {
                exact.insert(text)
            }
        }
    }

    /// True when no entry was configured.
    public var isEmpty: Bool { exact.isEmpty && parents.isEmpty && literals.isEmpty }

    /// Whether `domain` is one of the configured domains.
    public func matches(_ domain: Domain) -> Bool {
        switch domain {
        case .name(let name):
            let text = Self.normalise(name)
            if exact.contains(text) { return true }
            for parent in parents where text.count > parent.count && text.hasSuffix("." + parent) {
                return true
            }
            return false
        case .addressLiteral(let literal):
            guard let key = Self.literalKey(literal) else { return false }
            return literals.contains(key)
        }
    }

    /// Lower case, no trailing dot.
    static func normalise(_ text: String) -> String {
        var lowered = text.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }

    static func literalKey(_ literal: AddressLiteral) -> String? {
        switch literal {
        case .ipv4(let text):
            return IPAddress(text).map { "ip:" + $0.description }
        case .ipv6(let text):
            // `[IPv6:::ffff:192.0.2.1]` is not `[192.0.2.1]`: Postfix does not treat the mapped
            // form as its own address and would relay it, so it is never local here either.
            guard let address = IPAddress(text), !address.isIPv4 else { return nil }
            return "ip:" + address.description
        case .general(let tag, let content):
            return "general:" + tag.lowercased() + ":" + content.lowercased()
        }
    }

    static func literalKey(bracketed text: String) -> String? {
        let inner = text.dropFirst().dropLast()
        if inner.hasPrefix("ipv6:") { return literalKey(.ipv6(String(inner.dropFirst(5)))) }
        if IPAddress(inner) != nil { return literalKey(.ipv4(String(inner))) }
        guard let colon = inner.firstIndex(of: ":") else { return nil }
        return literalKey(.general(tag: String(inner[..<colon]), content: String(inner[inner.index(after: colon)...])))
    }
}
