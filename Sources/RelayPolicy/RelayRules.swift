import DecisionLog
import SMTPProtocol

/// The relay decision at RCPT time: relayguard.conf(5), RELAY DECISION, rule by rule. The first rule that
/// decides, decides. Pure: the session supplies the parsed path and the client's standing.
///
/// Why refuse at RCPT rather than accept and bounce: the servers of the relay article accept
/// `user%remote.example` or `"user@remote.example"` and send a non-delivery report later;
/// with a forged sender that report is backscatter. A refusal at RCPT costs nobody anything.
public struct RelayRules: Sendable, Equatable {
    public var localDomains: DomainMatcher
    public var relayDomains: DomainMatcher
    public var recipientCheck: RecipientCheck
    public var recipientMap: RecipientMap

    public init(localDomains: [String], relayDomains: [String] = [], recipientCheck: RecipientCheck = .backend, recipientMap: RecipientMap = RecipientMap()) {
        self.localDomains = DomainMatcher(localDomains)
        self.relayDomains = DomainMatcher(relayDomains)
        self.recipientCheck = recipientCheck
        self.recipientMap = recipientMap
    }

    /// The rules of a configuration, with its recipient map already loaded.
    public init(configuration: Configuration, recipientMap: RecipientMap = RecipientMap()) {
        self.init(localDomains: configuration.localDomains, relayDomains: configuration.relayDomains,
                  recipientCheck: configuration.recipientCheck, recipientMap: recipientMap)
    }

    /// Decides one `RCPT TO`, given its parsed forward path (or why it did not parse).
    public func decide(recipient parsed: Result<Mailbox, PathError>, client: ClientStanding) -> RecipientDecision {
        // Rule 1: syntax.
        let mailbox: Mailbox
        switch parsed {
        case .failure: return .refuse(RelayReplies.badRecipientSyntax, .badSyntax)
        case .success(let parsedMailbox): mailbox = parsedMailbox
        }
        let address = mailbox.raw

        guard let domain = mailbox.domain else {
            // Rule 2: <postmaster>, any case, no domain (RFC 5321 section 4.5.1).
            if mailbox.sourceRoute.isEmpty && Self.isPostmaster(mailbox.localPart) {
                return .forward(.accepted)
            }
            // Rule 3: never relayed, never qualified.
            return .refuse(RelayReplies.unqualified(address), .unqualifiedRecipient)
        }

        // Rule 4: sender-specified routing from an untrusted client.
        if !client.mayRelay && Self.hasSenderRouting(mailbox) {
            return .refuse(RelayReplies.senderRouting(address), .senderRouting)
        }

        let isLocal = localDomains.matches(domain)

        // An early talker (pregreet_action = reject), like a listed client: refused, postmaster
        // of a local domain stays reachable.
        if client.isEarlyTalker, !client.mayRelay, !(isLocal && Self.isPostmaster(mailbox.localPart)) {
            return .refuse(RelayReplies.protocolError, .pregreet)
        }

        // Rule 5: DNSBL listing; postmaster of a local domain stays reachable.
        if let zones = client.dnsblListing, !client.mayRelay,
           !(isLocal && Self.isPostmaster(mailbox.localPart)) {
            return .refuse(RelayReplies.dnsblListed(zones: zones), .dnsblListed)
        }

        // Rule 6: local domain, then the recipient check (section 5).
        if isLocal {
            return checkLocalRecipient(mailbox, domain: domain)
        }

        // Rule 7: a domain the backend also receives for.
        if relayDomains.matches(domain) { return .forward(.relayDomain) }

        // Rule 8: trusted network or authenticated client.
        if client.isTrusted { return .forward(.trustedNetwork) }
        if client.isAuthenticated { return .forward(.authenticated) }

        // Rule 9.
        return .refuse(RelayReplies.relayDenied(address), .relayDenied)
    }

    private func checkLocalRecipient(_ mailbox: Mailbox, domain: Domain) -> RecipientDecision {
        switch recipientCheck {
        case .off, .backend:
            return .forward(.localDomain)
        case .map:
            if Self.isPostmaster(mailbox.localPart) { return .forward(.localDomain) }
            if recipientMap.contains(localPart: mailbox.localPart, domain: Self.lookupKey(domain)) {
                return .forward(.localDomain)
            }
            return .refuse(RelayReplies.unknownUser(mailbox.raw), .unknownRecipient)
        }
    }

    /// `postmaster` in any case (RFC 5321 section 4.5.1: "case-insensitively").
    static func isPostmaster(_ localPart: String) -> Bool {
        localPart.lowercased() == "postmaster"
    }

    /// Sender-specified routing (Postfix `allow_untrusted_routing = no`): a source route,
    /// a `%` or `!` in the local part, or a quoted local part that hides an `@`.
    ///
    /// Why the quoted `@`: `"user@remote.example"@local.example` is one legal mailbox, but an
    /// old MTA that strips the quotes delivers it to `user@remote.example` — relay through the
    /// back door (the article's test 7).
    static func hasSenderRouting(_ mailbox: Mailbox) -> Bool {
        if !mailbox.sourceRoute.isEmpty { return true }
        let local = mailbox.localPart
        if local.contains("%") || local.contains("!") { return true }
        if mailbox.localPartIsQuoted && local.contains("@") { return true }
        return false
    }

    /// The text a recipient map entry uses for a domain: the name, or the bracketed literal.
    static func lookupKey(_ domain: Domain) -> String {
        switch domain {
        case .name(let name): return name
        case .addressLiteral(.ipv4(let text)): return "[" + text + "]"
        case .addressLiteral(.ipv6(let text)): return "[ipv6:" + text + "]"
        case .addressLiteral(.general(let tag, let content)): return "[" + tag + ":" + content + "]"
        }
    }
}
