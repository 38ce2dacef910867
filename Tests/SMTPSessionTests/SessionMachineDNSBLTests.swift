import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession
import NetworkAddress
import DNSBL

/// The DNSBL result in the session (relayguard.conf(5), RELAY DECISION rule 5, dnsbl_action): the lookup starts at
/// connect and the machine is told its result.
@Suite("Session machine: DNSBL listing")
struct SessionMachineDNSBLTests {
    static let client = IPAddress("203.0.113.5")!
    static let listed = DNSBLResult(client: client, score: DNSBLScore(score: 3, threshold: 1, hits: ["bl.test=127.0.0.2"], listingZones: ["bl.test"]))
    static let clean = DNSBLResult(client: client, score: DNSBLScore(score: 0, threshold: 1, hits: [], listingZones: []))
    static let timedOut = DNSBLResult(client: client, score: DNSBLScore(score: 0, threshold: 1, hits: [], listingZones: []),
                                      timedOutZones: ["slow.test"])

    static func session(action: String) throws -> SessionHarness {
        try SessionHarness("dnsbl_sites = bl.test*3\ndnsbl_action = \(action)", dnsblPending: true)
    }

    @Test("reject: the first RCPT waits for the lookup; a listed client is refused 554 5.7.1 with the hits logged")
    func rejectListed() throws {
        var session = try Self.session(action: "reject")
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<a@remote.example>\r\n", "the RCPT waits for the DNSBL result")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n")
        _ = session.takeRecords()
        session.dnsblResolved(Self.listed)
        #expect(session.takeClient() == "554 5.7.1 Service unavailable; client blocked using bl.test\r\n")
        #expect(session.takeBackend() == "")
        let records = session.records.suffix(2)
        #expect(records.first?.event == .dnsbl && records.first?.dnsblScore == 3 && records.first?.reason == .dnsblListed)
        #expect(records.last?.event == .rcpt && records.last?.reason == .dnsblListed && records.last?.dnsblHits == ["bl.test=127.0.0.2"])
    }

    @Test("reject: postmaster of a local domain stays reachable for a listed client")
    func rejectPostmaster() throws {
        var session = try Self.session(action: "reject")
        session.openWithEHLO()
        session.dnsblResolved(Self.listed)
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<postmaster@local.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<a@remote.example>\r\nRCPT TO:<postmaster@local.example>\r\n")
    }

    @Test("reject: a clean client goes on as soon as the result is in")
    func rejectClean() throws {
        var session = try Self.session(action: "reject")
        session.openWithEHLO()
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        session.dnsblResolved(Self.clean)
        #expect(session.takeBackend() == "MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(!session.records.contains { $0.event == .dnsbl }, "a clean lookup is not worth a record")
    }

    @Test("a lookup that timed out fails open and is logged dnsbl_timeout")
    func timeout() throws {
        var session = try Self.session(action: "reject")
        session.openWithEHLO()
        session.dnsblResolved(Self.timedOut)
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(session.records.contains { $0.event == .dnsbl && $0.reason == .dnsblTimeout && $0.decision == .accept })
    }

    @Test("a listing never loosens the relay decision")
    func neverLoosens() throws {
        var session = try Self.session(action: "reject")
        session.openWithEHLO()
        session.dnsblResolved(Self.clean)
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<someone@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.takeClient().hasSuffix("550 5.7.1 Unable to relay for <someone@remote.example>\r\n"))
    }

    @Test("reject-at-connect: a listed client is greeted 554, the backend link is closed, only QUIT is left")
    func rejectAtConnectListed() throws {
        var session = try Self.session(action: "reject-at-connect")
        session.connectBackend()
        session.backend(SessionHarness.banner)
        #expect(session.takeClient() == "", "the greeting waits for the DNSBL result")
        session.dnsblResolved(Self.listed)
        #expect(session.takeClient() == "554 5.7.1 relay.local.example Service unavailable; client blocked using bl.test\r\n")
        #expect(session.backendLinkClosed)
        session.client("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: access denied for your address; only QUIT\r\n"
                + "503 5.5.1 Error: access denied for your address; only QUIT\r\n")
        session.client("QUIT\r\n")
        #expect(session.takeClient() == "221 2.0.0 Bye\r\n")
        #expect(session.isClosed)
        #expect(session.records.contains { $0.event == .connect && $0.code == 554 && $0.reason == .dnsblListed && $0.dnsblScore == 3 })
    }

    @Test("reject-at-connect: a clean client gets the backend's greeting once the result is in")
    func rejectAtConnectClean() throws {
        var session = try Self.session(action: "reject-at-connect")
        session.connectBackend()
        session.backend(SessionHarness.banner)
        session.dnsblResolved(Self.clean)
        #expect(session.takeClient() == SessionHarness.banner)
    }

    @Test("log: a listed client is logged, never refused")
    func logOnly() throws {
        var session = try Self.session(action: "log")
        session.openWithEHLO()
        session.dnsblResolved(Self.listed)
        _ = session.takeBackend()
        session.client("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        #expect(session.records.contains { $0.event == .dnsbl && $0.decision == .accept && $0.reason == .dnsblListed })
    }
}
