import DecisionLog
import SMTPProtocol
import Testing
@testable import RelayPolicy
import DNSBL

/// The test site: relayguard in front of the MX of `local.example`, whose own address is
/// 192.0.2.25 and whose host name is mx.local.example; `backup.example` is a relay domain.
private let rules = RelayRules(
    localDomains: ["local.example", ".sub.local.example"],
    relayDomains: ["backup.example"],
    recipientCheck: .backend
)
private let stranger = ClientStanding()
private let trusted = ClientStanding(isTrusted: true)
private let authenticated = ClientStanding(isAuthenticated: true)

private func decide(_ rcpt: String, _ client: ClientStanding = stranger, rules: RelayRules = rules) -> RecipientDecision {
    rules.decide(recipient: PathParser.parseForwardPath(Substring(rcpt)), client: client)
}

/// One relay attempt: what the client says, and what relayguard must answer.
struct RelayCase: CustomTestStringConvertible, Sendable {
    let name: String
    let mail: String
    let rcpt: String
    let code: Int
    let enhanced: String
    let reason: Reason
    var testDescription: String { name }
}

/// The relay article's seven tests (relay-article-summary.md), from a stranger.
/// The envelope sender is parsed to prove it is a sender the protocol accepts, and never
/// consulted by the decision: it cannot grant relay.
let articleTests: [RelayCase] = [
    RelayCase(name: "test 1: remote sender to remote recipient", mail: "<user@remote.example>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 2: unqualified local sender to remote recipient", mail: "<localuser>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 3: null sender to remote recipient", mail: "<>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 4: local-domain sender to remote recipient", mail: "<user@local.example>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 5: sender at the server's IP literal", mail: "<user@[192.0.2.25]>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 5: sender at localhost", mail: "<user@localhost>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 5: sender at the server's host name", mail: "<user@mx.local.example>", rcpt: "<someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "test 6: percent hack without a domain", mail: "<user>", rcpt: "<user%remote.example>", code: 550, enhanced: "5.7.1", reason: .unqualifiedRecipient),
    RelayCase(name: "test 6: percent hack at the local domain", mail: "<user>", rcpt: "<user%remote.example@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "test 7: quoted address without a domain", mail: "<user>", rcpt: "<\"user@remote.example\">", code: 550, enhanced: "5.7.1", reason: .unqualifiedRecipient),
    RelayCase(name: "test 7: quoted address at the local domain", mail: "<user>", rcpt: "<\"user@remote.example\"@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
]

/// The classic relay-test address forms (those of the open-relay test tools), from a stranger.
let classicForms: [RelayCase] = [
    RelayCase(name: "percent hack at the server's IP literal", mail: "<probe@remote.example>", rcpt: "<someone%remote.example@[192.0.2.25]>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "double percent", mail: "<probe@remote.example>", rcpt: "<someone%remote.example%local.example@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "quoted percent hack", mail: "<probe@remote.example>", rcpt: "<\"someone%remote.example\"@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "bang path without a domain", mail: "<probe@remote.example>", rcpt: "<remote.example!someone>", code: 550, enhanced: "5.7.1", reason: .unqualifiedRecipient),
    RelayCase(name: "bang path at the local domain", mail: "<probe@remote.example>", rcpt: "<remote.example!someone@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "source route through the local domain", mail: "<probe@remote.example>", rcpt: "<@local.example:someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "source route ending at the local domain", mail: "<probe@remote.example>", rcpt: "<@remote.example:someone@local.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "two-hop source route", mail: "<probe@remote.example>", rcpt: "<@local.example,@relay.example:someone@remote.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "quoted address with @ and a remote domain", mail: "<probe@remote.example>", rcpt: "<\"someone@local.example\"@remote.example>", code: 550, enhanced: "5.7.1", reason: .senderRouting),
    RelayCase(name: "double @", mail: "<probe@remote.example>", rcpt: "<someone@remote.example@local.example>", code: 501, enhanced: "5.1.3", reason: .badSyntax),
    RelayCase(name: "remote recipient at the server's IP literal", mail: "<probe@remote.example>", rcpt: "<someone@[192.0.2.25]>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "remote recipient at an IPv6 literal", mail: "<probe@remote.example>", rcpt: "<someone@[IPv6:2001:db8::25]>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "remote recipient at localhost", mail: "<probe@localhost>", rcpt: "<someone@localhost>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "remote domain with a trailing dot", mail: "<probe@remote.example>", rcpt: "<someone@remote.example.>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "look-alike of the local domain", mail: "<probe@remote.example>", rcpt: "<someone@local.example.remote.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "suffix look-alike of the local domain", mail: "<probe@remote.example>", rcpt: "<someone@evillocal.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "subdomain of the local domain not listed", mail: "<probe@remote.example>", rcpt: "<someone@mx.local.example>", code: 550, enhanced: "5.7.1", reason: .relayDenied),
    RelayCase(name: "unqualified recipient", mail: "<probe@remote.example>", rcpt: "<someone>", code: 550, enhanced: "5.7.1", reason: .unqualifiedRecipient),
    RelayCase(name: "postmaster with a source route", mail: "<probe@remote.example>", rcpt: "<@remote.example:postmaster>", code: 501, enhanced: "5.1.3", reason: .badSyntax),
    RelayCase(name: "no angle brackets", mail: "<probe@remote.example>", rcpt: "someone@remote.example", code: 501, enhanced: "5.1.3", reason: .badSyntax),
    RelayCase(name: "empty path", mail: "<probe@remote.example>", rcpt: "<>", code: 501, enhanced: "5.1.3", reason: .badSyntax),
]

@Suite("Relay decision: refused for a stranger")
struct RelayRefusalTests {
    @Test("the relay article's seven tests", arguments: articleTests)
    func articleTest(_ relayCase: RelayCase) throws {
        try expectRefused(relayCase)
    }

    @Test("classic relay-test address forms", arguments: classicForms)
    func classicForm(_ relayCase: RelayCase) throws {
        try expectRefused(relayCase)
    }

    private func expectRefused(_ relayCase: RelayCase) throws {
        // The sender is a sender the protocol accepts: it reaches the RCPT.
        #expect(throws: Never.self) { try PathParser.parseReversePath(Substring(relayCase.mail)).get() }
        let decision = decide(relayCase.rcpt)
        let reply = try #require(decision.refusal, "\(relayCase.rcpt) must be refused")
        #expect(reply.code == relayCase.code)
        #expect(reply.enhanced == relayCase.enhanced)
        #expect(decision.reason == relayCase.reason)
    }

    @Test("the relay-denied reply names the address")
    func relayDeniedText() {
        #expect(decide("<someone@remote.example>").refusal?.text == "Unable to relay for <someone@remote.example>")
    }
}

/// A legitimate recipient, and the reason relayguard forwards it.
struct AcceptCase: CustomTestStringConvertible, Sendable {
    let name: String
    let rcpt: String
    let client: ClientStanding
    let reason: Reason
    var testDescription: String { name }
}

let legitimateCases: [AcceptCase] = [
    AcceptCase(name: "local recipient", rcpt: "<alice@local.example>", client: stranger, reason: .localDomain),
    AcceptCase(name: "local recipient, domain in upper case with a trailing dot", rcpt: "<alice@LOCAL.Example.>", client: stranger, reason: .localDomain),
    AcceptCase(name: "local recipient in a listed subdomain", rcpt: "<alice@eu.sub.local.example>", client: stranger, reason: .localDomain),
    AcceptCase(name: "quoted local part without @", rcpt: "<\"alice smith\"@local.example>", client: stranger, reason: .localDomain),
    AcceptCase(name: "bare postmaster", rcpt: "<postmaster>", client: stranger, reason: .accepted),
    AcceptCase(name: "bare postmaster in upper case", rcpt: "<POSTMASTER>", client: stranger, reason: .accepted),
    AcceptCase(name: "bare postmaster in mixed case", rcpt: "<PostMaster>", client: stranger, reason: .accepted),
    AcceptCase(name: "relay domain", rcpt: "<bob@backup.example>", client: stranger, reason: .relayDomain),
    AcceptCase(name: "trusted network to a remote domain", rcpt: "<someone@remote.example>", client: trusted, reason: .trustedNetwork),
    AcceptCase(name: "authenticated client to a remote domain", rcpt: "<someone@remote.example>", client: authenticated, reason: .authenticated),
    AcceptCase(name: "trusted network may route through the percent hack", rcpt: "<user%remote.example@local.example>", client: trusted, reason: .localDomain),
    AcceptCase(name: "trusted network may use a source route", rcpt: "<@local.example:someone@remote.example>", client: trusted, reason: .trustedNetwork),
]

@Suite("Relay decision: legitimate recipients are forwarded")
struct RelayAcceptTests {
    @Test("forwarded", arguments: legitimateCases)
    func forwarded(_ acceptCase: AcceptCase) {
        let decision = decide(acceptCase.rcpt, acceptCase.client)
        #expect(decision.refusal == nil)
        #expect(decision.reason == acceptCase.reason)
    }

    @Test("a trusted client still cannot send unqualified recipients")
    func trustedUnqualified() {
        #expect(decide("<someone>", trusted).reason == .unqualifiedRecipient)
        #expect(decide("<user%remote.example>", trusted).reason == .unqualifiedRecipient)
    }

    @Test("an address literal listed in local_domains is local")
    func localLiteral() {
        let literalRules = RelayRules(localDomains: ["[192.0.2.25]", "[IPv6:2001:db8::25]"])
        #expect(decide("<alice@[192.0.2.25]>", rules: literalRules).reason == .localDomain)
        #expect(decide("<alice@[IPv6:2001:DB8:0::25]>", rules: literalRules).reason == .localDomain)
        #expect(decide("<alice@[192.0.2.26]>", rules: literalRules).reason == .relayDenied)
    }
}

@Suite("Relay decision: recipient map")
struct RecipientMapDecisionTests {
    static let mapRules = RelayRules(
        localDomains: ["local.example", "catchall.example"],
        recipientCheck: .map,
        recipientMap: try! RecipientMap(entries: ["alice@local.example", "Bob@Local.Example", "@catchall.example"])
    )

    @Test("map hits and misses", arguments: [
        ("<alice@local.example>", Reason.localDomain),
        ("<ALICE@local.example>", .localDomain),
        ("<bob@LOCAL.example.>", .localDomain),
        ("<anyone@catchall.example>", .localDomain),
        ("<postmaster@local.example>", .localDomain),
        ("<PostMaster@local.example>", .localDomain),
        ("<carol@local.example>", .unknownRecipient),
        ("<alice@sub.local.example>", .relayDenied),
    ])
    func mapLookup(rcpt: String, reason: Reason) {
        #expect(decide(rcpt, rules: Self.mapRules).reason == reason)
    }

    @Test("the unknown-user reply is the same template for every address and domain")
    func unknownUserText() throws {
        let first = try #require(decide("<carol@local.example>", rules: Self.mapRules).refusal)
        let second = try #require(decide("<zed@catchall.example.invalid>", rules: RelayRules(localDomains: ["catchall.example.invalid"], recipientCheck: .map)).refusal)
        #expect(first.code == 550 && first.enhanced == "5.1.1")
        #expect(first.text == "<carol@local.example>: Recipient address rejected: User unknown")
        #expect(first.text.replacingPrefix("<carol@local.example>") == second.text.replacingPrefix("<zed@catchall.example.invalid>"))
    }

    @Test("recipient_check = off and backend forward every local recipient")
    func offAndBackend() {
        for check in [RecipientCheck.off, .backend] {
            let open = RelayRules(localDomains: ["local.example"], recipientCheck: check)
            #expect(decide("<nobody@local.example>", rules: open).reason == .localDomain)
        }
    }
}

@Suite("Relay decision: DNSBL listing (rule 5)")
struct DNSBLRuleTests {
    static let listed = ClientStanding(dnsblListing: ["zen.example"])

    @Test("a listed stranger is refused for local and remote recipients")
    func refused() throws {
        for rcpt in ["<alice@local.example>", "<someone@remote.example>", "<bob@backup.example>"] {
            let reply = try #require(decide(rcpt, Self.listed).refusal)
            #expect(reply.code == 554 && reply.enhanced == "5.7.1")
            #expect(reply.text.contains("zen.example"))
        }
    }

    @Test("postmaster stays reachable for a listed client")
    func postmaster() {
        #expect(decide("<postmaster>", Self.listed).refusal == nil)
        #expect(decide("<postmaster@local.example>", Self.listed).refusal == nil)
        #expect(decide("<postmaster@remote.example>", Self.listed).reason == .dnsblListed)
    }

    @Test("a listing never loosens: syntax, routing and unqualified refusals come first")
    func earlierRulesFirst() {
        #expect(decide("<a@b@c>", Self.listed).reason == .badSyntax)
        #expect(decide("<someone>", Self.listed).reason == .unqualifiedRecipient)
        #expect(decide("<a%b@local.example>", Self.listed).reason == .senderRouting)
    }

    @Test("trusted and authenticated clients are not refused for a listing")
    func trustedExempt() {
        #expect(decide("<alice@local.example>", ClientStanding(isTrusted: true, dnsblListing: ["zen.example"])).refusal == nil)
        #expect(decide("<alice@local.example>", ClientStanding(isAuthenticated: true, dnsblListing: ["zen.example"])).refusal == nil)
    }
}

@Suite("Relay decision: what counts towards the limits")
struct DecisionCountingTests {
    @Test("refused recipients count as invalid, syntax errors as errors, forwards as neither")
    func counting() {
        #expect(counter(decide("<someone@remote.example>")) == .invalidRecipient)
        #expect(counter(decide("<a%b@local.example>")) == .invalidRecipient)
        #expect(counter(decide("<someone>")) == .invalidRecipient)
        #expect(counter(decide("<a@b@c>")) == .protocolError)
        #expect(counter(decide("<alice@local.example>")) == nil)
    }

    @Test("every refusal says what it counts towards, whether it is tarpitted and its reason", arguments: RecipientRefusal.allCases)
    func everyRefusal(_ refusal: RecipientRefusal) {
        // A refusal that counts as an error is a client mistake: only the backend's 503 skips
        // the tarpit; everything else the harvest defence sees.
        #expect(refusal.isTarpitted == (refusal != .backendSequenceError))
        #expect(refusal.counter == ([.badSyntax, .backendSequenceError].contains(refusal) ? .protocolError : .invalidRecipient))
        #expect(refusal.reason != .accepted)
    }

    private func counter(_ decision: RecipientDecision) -> RecipientRefusal.Counter? {
        guard case .refuse(_, let refusal) = decision.outcome else { return nil }
        return refusal.counter
    }
}

private extension String {
    func replacingPrefix(_ prefix: String) -> Substring {
        hasPrefix(prefix) ? dropFirst(prefix.count) : Substring(self)
    }
}
