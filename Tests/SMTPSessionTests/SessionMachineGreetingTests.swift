import DecisionLog
import RelayPolicy
import Testing
@testable import SMTPSession

/// The start of a session: the identity header the backend receives first, the backend's
/// greeting, failing closed when it does not come, and client bytes sent before it
/// (docs/ARCHITECTURE.md, protocol safety).
@Suite("Session machine: identity header and greeting")
struct SessionMachineGreetingTests {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    struct HeaderCase: NamedCase {
        let name: String
        let identity: String
        let client: String
        let server: String
        /// The exact bytes the backend must receive before anything else.
        let header: [UInt8]
    }

    static let headerCases: [HeaderCase] = [
        HeaderCase(name: "proxy-v2, IPv4 client on an IPv4 listener", identity: "proxy-v2",
                   client: "203.0.113.5", server: "192.0.2.25",
                   header: signature + [0x21, 0x11, 0x00, 0x0C, 203, 0, 113, 5, 192, 0, 2, 25, 0x9C, 0x40, 0x00, 0x19]),
        HeaderCase(name: "proxy-v2, IPv6 client on an IPv6 listener", identity: "proxy-v2",
                   client: "2001:db8::5", server: "2001:db8::25",
                   header: signature + [0x21, 0x21, 0x00, 0x24]
                       + [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05]
                       + [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25]
                       + [0x9C, 0x40, 0x00, 0x19]),
        HeaderCase(name: "proxy-v2, IPv4 client on an IPv6 listener: the client as IPv4-mapped", identity: "proxy-v2",
                   client: "203.0.113.5", server: "2001:db8::25",
                   header: signature + [0x21, 0x21, 0x00, 0x24]
                       + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 203, 0, 113, 5]
                       + [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25]
                       + [0x9C, 0x40, 0x00, 0x19]),
        HeaderCase(name: "proxy-v2, IPv6 client on an IPv4 listener: the listener as IPv4-mapped", identity: "proxy-v2",
                   client: "2001:db8::5", server: "192.0.2.25",
                   header: signature + [0x21, 0x21, 0x00, 0x24]
                       + [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05]
                       + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 25]
                       + [0x9C, 0x40, 0x00, 0x19]),
        HeaderCase(name: "proxy-v1, IPv4", identity: "proxy-v1", client: "203.0.113.5", server: "192.0.2.25",
                   header: octets("PROXY TCP4 203.0.113.5 192.0.2.25 40000 25\r\n")),
        HeaderCase(name: "proxy-v1, IPv6", identity: "proxy-v1", client: "2001:db8::5", server: "2001:db8::25",
                   header: octets("PROXY TCP6 2001:db8::5 2001:db8::25 40000 25\r\n")),
        HeaderCase(name: "proxy-v1, mixed families as TCP6", identity: "proxy-v1", client: "203.0.113.5", server: "2001:db8::25",
                   header: octets("PROXY TCP6 ::ffff:203.0.113.5 2001:db8::25 40000 25\r\n")),
        HeaderCase(name: "none: nothing before the greeting", identity: "none", client: "203.0.113.5", server: "192.0.2.25",
                   header: []),
        HeaderCase(name: "xclient: nothing before the greeting", identity: "xclient", client: "203.0.113.5", server: "192.0.2.25",
                   header: []),
    ]

    @Test("The identity header is the first thing the backend receives, exactly", arguments: headerCases)
    func identityHeader(_ test: HeaderCase) throws {
        var session = try SessionHarness("backend_client_identity = \(test.identity)", client: test.client, server: test.server)
        session.connectBackend()
        #expect(session.takeBackendBytes() == test.header)
        #expect(session.runningTimers[.backendReply] != nil)
        #expect(session.takeClient() == "")
        session.backend(SessionHarness.banner)
        if test.identity != "xclient" {
            #expect(session.takeClient() == SessionHarness.banner)
            #expect(session.takeBackend() == "")
            #expect(session.runningTimers[.backendReply] == nil)
            #expect(session.runningTimers[.clientDeadline] == .seconds(300))
        }
        #expect(!session.isClosed)
    }

    struct XclientCase: NamedCase {
        let name: String
        let client: String
        let command: String
    }

    static let xclientCases: [XclientCase] = [
        XclientCase(name: "IPv4 client", client: "203.0.113.5", command: "XCLIENT NAME=[UNAVAILABLE] ADDR=203.0.113.5 PORT=40000\r\n"),
        XclientCase(name: "IPv6 client with the IPV6: prefix", client: "2001:db8::5",
                    command: "XCLIENT NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::5 PORT=40000\r\n"),
    ]

    @Test("xclient: XCLIENT after the banner, and the fresh 220 is what the client gets", arguments: xclientCases)
    func xclient(_ test: XclientCase) throws {
        var session = try SessionHarness("backend_client_identity = xclient", client: test.client)
        session.connectBackend()
        session.client("EHLO early.example\r\n")
        session.backend("220 mx.local.example ESMTP first banner\r\n")
        #expect(session.takeBackend() == test.command)
        #expect(session.takeClient() == "", "the first banner is not relayed")
        #expect(session.runningTimers[.backendReply] != nil)
        session.backend("220 mx.local.example ESMTP fresh banner\r\n")
        #expect(session.takeClient() == "220 mx.local.example ESMTP fresh banner\r\n")
        #expect(session.takeBackend() == "EHLO early.example\r\n", "held client bytes go after the fresh greeting")
        // The client talked early: a pregreet record first (SessionMachineHostileTests), then the session's.
        #expect(session.takeRecords().filter { $0.reason != .pregreet }.first == Logged(.connect, .accept, 220, nil, .accepted))
    }

    struct RefusedGreetingCase: NamedCase {
        let name: String
        let identity: String
        /// What the backend says, in order.
        let backend: [String]
    }

    static let refusedGreetingCases: [RefusedGreetingCase] = [
        RefusedGreetingCase(name: "554 banner", identity: "proxy-v2", backend: ["554 5.3.2 mx.local.example Service unavailable\r\n"]),
        RefusedGreetingCase(name: "421 banner", identity: "proxy-v1", backend: ["421 4.3.2 mx.local.example Service shutting down\r\n"]),
        RefusedGreetingCase(name: "250 where 220 belongs", identity: "none", backend: ["250 mx.local.example\r\n"]),
        RefusedGreetingCase(name: "XCLIENT refused", identity: "xclient",
                            backend: [SessionHarness.banner, "550 5.7.0 Error: insufficient authorization\r\n"]),
        RefusedGreetingCase(name: "XCLIENT answered with a temporary error", identity: "xclient",
                            backend: [SessionHarness.banner, "421 4.3.0 mx.local.example Error: try again\r\n"]),
    ]

    @Test("A backend that does not greet with 220: 421 4.3.0 to the client, session closed", arguments: refusedGreetingCases)
    func greetingNot220(_ test: RefusedGreetingCase) throws {
        var session = try SessionHarness("backend_client_identity = \(test.identity)")
        session.connectBackend()
        session.client("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n")
        for text in test.backend { session.backend(text) }
        #expect(session.takeClient() == "421 4.3.0 relay.local.example Service not available, closing transmission channel\r\n")
        #expect(session.isClosed)
        #expect(session.lastActionsContain(.closeBackend))
        #expect(!session.backendStream.contains(octets("EHLO")), "held commands are never forwarded")
        #expect(session.takeRecords().filter { $0.reason != .pregreet } == [
            Logged(.connect, .tempfail, 421, "4.3.0", .backendUnavailable),
            .disconnect(.backendUnavailable),
        ])
    }

    @Test("The backend cannot be reached: 421 4.3.0, no link to close")
    func backendConnectFailure() throws {
        var session = try SessionHarness()
        session.client("EHLO client.example\r\n")
        session.backendFails("cannot connect to backend 127.0.0.1:10025: connection refused")
        #expect(session.takeClient() == "421 4.3.0 relay.local.example Service not available, closing transmission channel\r\n")
        #expect(session.isClosed)
        #expect(!session.lastActionsContain(.closeBackend))
        #expect(session.backendStream.isEmpty)
        #expect(session.takeRecords().filter { $0.reason != .pregreet } == [
            Logged(.connect, .tempfail, 421, "4.3.0", .backendUnavailable),
            .disconnect(.backendUnavailable),
        ])
    }

    @Test("No greeting before the backend timer: 421 4.3.0 and the link is closed")
    func greetingTimeout() throws {
        var session = try SessionHarness()
        session.connectBackend()
        session.fire(.backendReply)
        #expect(session.takeClient() == "421 4.3.0 relay.local.example Service not available, closing transmission channel\r\n")
        #expect(session.isClosed)
        #expect(session.lastActionsContain(.closeBackend))
    }

    struct EarlyTalkerCase: NamedCase {
        let name: String
        /// Client writes before the greeting.
        let early: [String]
    }

    static let earlyTalkerCases: [EarlyTalkerCase] = [
        EarlyTalkerCase(name: "one command in one write", early: ["EHLO client.example\r\n"]),
        EarlyTalkerCase(name: "a command cut in the middle", early: ["EH", "LO client.exa", "mple\r\n"]),
        EarlyTalkerCase(name: "a CRLF cut between CR and LF", early: ["EHLO client.example\r", "\n"]),
        EarlyTalkerCase(name: "two lines starting with CRLF-like bytes", early: ["\r", "\nEHLO client.example\r\n"]),
    ]

    @Test("Client bytes sent before the greeting are held and processed after it", arguments: earlyTalkerCases)
    func earlyTalker(_ test: EarlyTalkerCase) throws {
        var session = try SessionHarness("backend_client_identity = none")
        session.connectBackend()
        for text in test.early { session.client(text) }
        #expect(session.takeBackend() == "", "nothing forwarded before the greeting")
        #expect(session.takeClient() == "")
        session.backend(SessionHarness.banner)
        let client = session.takeClient()
        #expect(client.hasPrefix(SessionHarness.banner))
        #expect(session.takeBackend() == "EHLO client.example\r\n")
        session.backend("250 mx.local.example\r\n")
        #expect(session.takeClient().hasSuffix("250 mx.local.example\r\n"))
    }

    @Test("The connect record: accept 220")
    func connectRecord() throws {
        var session = try SessionHarness()
        session.open()
        #expect(session.takeRecords() == [Logged(.connect, .accept, 220, nil, .accepted)])
    }
}
