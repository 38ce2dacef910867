import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// The relay decision at RCPT (relayguard.conf(5), RELAY DECISION) wired through the machine: a refused RCPT is
/// answered locally and never forwarded; an allowed one is forwarded as sent.
@Suite("Session machine: relay decision at RCPT")
struct SessionMachineRelayTests {
    struct RefusedCase: NamedCase {
        let name: String
        let mailFrom: String
        let rcptTo: String
        let reply: String
        let reason: Reason
    }

    static func relayDenied(_ address: String) -> String { "550 5.7.1 Unable to relay for <\(address)>\r\n" }

    /// The relay article's seven tests (relay-article-summary.md), plus the classic address forms.
    static let refusedCases: [RefusedCase] = [
        RefusedCase(name: "article test 1: remote sender, remote recipient", mailFrom: "<user@remote.example>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 2: sender without a domain", mailFrom: "<localuser>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 3: null sender", mailFrom: "<>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 4: local sender", mailFrom: "<user@local.example>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 5: sender at the server's IP literal", mailFrom: "<user@[192.0.2.25]>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 5: sender at localhost", mailFrom: "<user@localhost>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 5: sender at the server's host name", mailFrom: "<user@relay.local.example>",
                    rcptTo: "<someone@remote.example>", reply: relayDenied("someone@remote.example"), reason: .relayDenied),
        RefusedCase(name: "article test 6: percent hack at a local domain", mailFrom: "<user>",
                    rcptTo: "<user%remote.example@local.example>",
                    reply: "550 5.7.1 <user%remote.example@local.example>: Sender-specified routing is not allowed\r\n",
                    reason: .senderRouting),
        RefusedCase(name: "article test 6: percent hack without a domain", mailFrom: "<user>",
                    rcptTo: "<user%remote.example>",
                    reply: "550 5.7.1 <user%remote.example>: Recipient address must contain a domain\r\n",
                    reason: .unqualifiedRecipient),
        RefusedCase(name: "article test 7: quoted local part hiding an @, at a local domain", mailFrom: "<user>",
                    rcptTo: "<\"user@remote.example\"@local.example>",
                    reply: "550 5.7.1 <\"user@remote.example\"@local.example>: Sender-specified routing is not allowed\r\n",
                    reason: .senderRouting),
        RefusedCase(name: "article test 7: quoted local part hiding an @, without a domain", mailFrom: "<user>",
                    rcptTo: "<\"user@remote.example\">",
                    reply: "550 5.7.1 <\"user@remote.example\">: Recipient address must contain a domain\r\n",
                    reason: .unqualifiedRecipient),
        RefusedCase(name: "source route through a local domain", mailFrom: "<user@remote.example>",
                    rcptTo: "<@local.example:user@remote.example>",
                    reply: "550 5.7.1 <@local.example:user@remote.example>: Sender-specified routing is not allowed\r\n",
                    reason: .senderRouting),
        RefusedCase(name: "bang path at a local domain", mailFrom: "<user@remote.example>",
                    rcptTo: "<remote.example!user@local.example>",
                    reply: "550 5.7.1 <remote.example!user@local.example>: Sender-specified routing is not allowed\r\n",
                    reason: .senderRouting),
        RefusedCase(name: "remote recipient in upper case", mailFrom: "<user@remote.example>",
                    rcptTo: "<Someone@REMOTE.EXAMPLE>", reply: relayDenied("Someone@REMOTE.EXAMPLE"), reason: .relayDenied),
        RefusedCase(name: "unparseable path", mailFrom: "<user@remote.example>",
                    rcptTo: "<a@b@remote.example>", reply: "501 5.1.3 Bad recipient address syntax\r\n", reason: .badSyntax),
    ]

    @Test("Refused at RCPT, locally, never forwarded", arguments: refusedCases)
    func refused(_ test: RefusedCase) throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client("RSET\r\nMAIL FROM:\(test.mailFrom)\r\nRCPT TO:\(test.rcptTo)\r\n")
        #expect(session.takeBackend() == "RSET\r\nMAIL FROM:\(test.mailFrom)\r\n")
        session.backend("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n" + test.reply)
        #expect(session.takeBackend() == "")
        let sender = String(test.mailFrom.dropFirst().dropLast())
        let recipient = String(test.rcptTo.dropFirst().dropLast())
        let code = Int(test.reply.prefix(3))!
        let enhanced = String(test.reply.dropFirst(4).prefix(5))
        #expect(session.takeRecords().filter { $0.event == .rcpt }
            == [Logged(.rcpt, .reject, code, enhanced, test.reason, from: sender, rcpt: recipient)])
    }

    struct ForwardedCase: NamedCase {
        let name: String
        let config: String
        let client: String
        var recipients: [String] = []
        let rcptTo: String
        let reason: Reason
    }

    static let forwardedCases: [ForwardedCase] = [
        ForwardedCase(name: "local domain, recipient_check = backend", config: "", client: "203.0.113.5",
                      rcptTo: "<bob@local.example>", reason: .localDomain),
        ForwardedCase(name: "subdomain of a .local domain", config: "local_domains = .local.example", client: "203.0.113.5",
                      rcptTo: "<bob@mail.local.example>", reason: .localDomain),
        ForwardedCase(name: "relay domain", config: "relay_domains = backup.example", client: "203.0.113.5",
                      rcptTo: "<carol@backup.example>", reason: .relayDomain),
        ForwardedCase(name: "trusted client relays anywhere", config: "", client: "192.0.2.7",
                      rcptTo: "<someone@remote.example>", reason: .trustedNetwork),
        ForwardedCase(name: "trusted IPv6 client relays", config: "trusted_networks = 2001:db8::/32", client: "2001:db8::7",
                      rcptTo: "<someone@remote.example>", reason: .trustedNetwork),
        ForwardedCase(name: "trusted client may use the percent hack", config: "", client: "192.0.2.7",
                      rcptTo: "<user%remote.example@local.example>", reason: .localDomain),
        ForwardedCase(name: "<postmaster> without a domain", config: "", client: "203.0.113.5",
                      rcptTo: "<PostMaster>", reason: .accepted),
        ForwardedCase(name: "recipient_check = map, listed address in another case",
                      config: "recipient_check = map\nrecipient_map = /etc/relayguard/recipients", client: "203.0.113.5",
                      recipients: ["bob@local.example"], rcptTo: "<Bob@Local.Example>", reason: .localDomain),
        ForwardedCase(name: "recipient_check = map, postmaster always passes",
                      config: "recipient_check = map\nrecipient_map = /etc/relayguard/recipients", client: "203.0.113.5",
                      recipients: ["bob@local.example"], rcptTo: "<postmaster@local.example>", reason: .localDomain),
        ForwardedCase(name: "recipient_check = map, whole domain",
                      config: "recipient_check = map\nrecipient_map = /etc/relayguard/recipients", client: "203.0.113.5",
                      recipients: ["@local.example"], rcptTo: "<anyone@local.example>", reason: .localDomain),
    ]

    @Test("Allowed recipients are forwarded as sent, and logged with the backend's verdict", arguments: forwardedCases)
    func forwarded(_ test: ForwardedCase) throws {
        var session = try SessionHarness(test.config, recipients: test.recipients, client: test.client)
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client("RCPT TO:\(test.rcptTo)\r\n")
        #expect(session.takeBackend() == "RCPT TO:\(test.rcptTo)\r\n")
        session.backend("250 2.1.5 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.5 Ok\r\n")
        #expect(session.takeRecords() == [Logged(.rcpt, .accept, 250, "2.1.5", test.reason, from: "alice@remote.example",
                                                 rcpt: String(test.rcptTo.dropFirst().dropLast()))])
        #expect(session.runningTimers[.tarpit] == nil)
    }

    @Test("recipient_check = map: a local recipient not in the map gets 550 5.1.1, the same text for every address")
    func mapMiss() throws {
        var session = try SessionHarness("recipient_check = map\nrecipient_map = /etc/relayguard/recipients",
                                         recipients: ["bob@local.example"])
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client("RCPT TO:<carol@local.example>\r\nRCPT TO:<dave@local.example>\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.takeClient() == "550 5.1.1 <carol@local.example>: Recipient address rejected: User unknown\r\n"
            + "550 5.1.1 <dave@local.example>: Recipient address rejected: User unknown\r\n")
        #expect(session.takeRecords() == [
            Logged(.rcpt, .reject, 550, "5.1.1", .unknownRecipient, from: "alice@remote.example", rcpt: "carol@local.example"),
            Logged(.rcpt, .reject, 550, "5.1.1", .unknownRecipient, from: "alice@remote.example", rcpt: "dave@local.example"),
        ])
    }

    @Test("The backend refuses a forwarded recipient: relayed in the one unknown-user text, logged with reason backend")
    func backendRefusesRecipient() throws {
        var session = try SessionHarness("trusted_networks = 192.0.2.0/24")
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeRecords()
        session.client("RCPT TO:<ghost@local.example>\r\n")
        session.backend("550 5.1.1 <ghost@local.example>: Recipient address rejected: User unknown in local recipient table\r\n")
        #expect(session.takeClient() == "550 5.1.1 <ghost@local.example>: Recipient address rejected: User unknown\r\n",
                "one text for every unknown user, whatever table the backend looked in")
        #expect(session.takeRecords() == [Logged(.rcpt, .reject, 550, "5.1.1", .unknownRecipient, from: "alice@remote.example", rcpt: "ghost@local.example")])
    }

    @Test("max_recipients: the recipient beyond it gets 452 4.5.3 and is not forwarded; a new transaction starts again")
    func maxRecipients() throws {
        var session = try SessionHarness("max_recipients = 2")
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        _ = session.takeRecords()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nRCPT TO:<b@local.example>\r\n"
            + "RCPT TO:<c@local.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nRCPT TO:<b@local.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n")
        #expect(session.takeRecords().filter { $0.reason == .tooManyRecipients }
            == [Logged(.rcpt, .tempfail, 452, "4.5.3", .tooManyRecipients, from: "alice@remote.example", rcpt: "c@local.example")])
        session.client("RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<c@local.example>\r\n")
        #expect(session.takeBackend() == "RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<c@local.example>\r\n")
    }

    @Test("max_recipients cannot be reset by a nested MAIL: relayguard refuses it, the backend never sees it")
    func maxRecipientsNestedMail() throws {
        var session = try SessionHarness("max_recipients = 2")
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nRCPT TO:<b@local.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<c@local.example>\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.takeClient() == "503 5.5.1 Error: nested MAIL command\r\n452 4.5.3 Too many recipients\r\n")
    }

    @Test("max_recipients holds when a second MAIL is pipelined before any reply")
    func maxRecipientsNestedMailPipelined() throws {
        var session = try SessionHarness("max_recipients = 2")
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nRCPT TO:<b@local.example>\r\n"
            + "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<c@local.example>\r\n")
        #expect(!session.takeBackend().contains("<c@local.example>"))
    }

    @Test("max_recipients holds when RCPTs are pipelined behind RSET and more follow after its reply")
    func maxRecipientsAfterPipelinedRSET() throws {
        var session = try SessionHarness("max_recipients = 2")
        session.openWithEHLO()
        session.client("RSET\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nRCPT TO:<b@local.example>\r\n")
        session.backend("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("RCPT TO:<c@local.example>\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.takeClient() == "452 4.5.3 Too many recipients\r\n")
    }

    @Test("After a completed message the recipient count starts again")
    func maxRecipientsPerMessage() throws {
        var session = try SessionHarness("max_recipients = 1")
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<a@local.example>\r\nDATA\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n")
        session.client("x\r\n.\r\nMAIL FROM:<alice@remote.example>\r\nRCPT TO:<b@local.example>\r\n")
        _ = session.takeBackend()
        session.backend("250 2.0.0 Ok: queued\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@remote.example>\r\nRCPT TO:<b@local.example>\r\n")
    }
}
