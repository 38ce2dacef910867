import DecisionLog
import Testing
@testable import SMTPSession

/// STARTTLS terminated by relayguard, and AUTH after it (docs/ARCHITECTURE.md, protocol safety; the TLS issue).
@Suite("Session machine: STARTTLS and AUTH")
struct SessionMachineTLSTests {
    static let tlsConfig = """
        tls_cert_file = /etc/relayguard/cert.pem
        tls_key_file = /etc/relayguard/key.pem
        tarpit_delay = 5s
        """
    static let backendEHLO = "250-mx.local.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"

    /// A session that said EHLO, STARTTLS, finished the handshake and said EHLO again.
    static func insideTLS() throws -> SessionHarness {
        var session = try SessionHarness(tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(backendEHLO)
        session.client("STARTTLS\r\n")
        session.backend("250 2.0.0 Ok\r\n")   // the backend's answer to relayguard's RSET
        session.tlsEstablished()
        session.client("EHLO client.example\r\n")
        session.backend(backendEHLO)
        _ = session.takeClient()
        _ = session.takeBackend()
        return session
    }

    @Test("EHLO offers relayguard's STARTTLS, never AUTH, in plaintext")
    func plaintextEHLO() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.open()
        _ = session.takeClient()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        let reply = session.takeClient()
        #expect(reply.contains("250-STARTTLS\r\n") || reply.contains("250 STARTTLS\r\n"))
        #expect(!reply.contains("AUTH"))
    }

    @Test("without a certificate STARTTLS is neither offered nor accepted")
    func notConfigured() throws {
        var session = try SessionHarness()
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        #expect(!session.takeClient().contains("STARTTLS"))
        session.client("STARTTLS\r\n")
        #expect(session.takeClient() == "502 5.5.1 Error: command not implemented\r\n")
        #expect(!session.tlsStarted)
        #expect(!session.takeBackend().contains("STARTTLS"))
    }

    @Test("plaintext pipelined after STARTTLS is discarded, never forwarded (CVE-2011-0411)")
    func injection() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<someone@remote.example>\r\n")
        #expect(session.takeClient() == "220 2.0.0 Ready to start TLS\r\n")
        #expect(session.tlsStarted)
        #expect(session.takeBackend() == "RSET\r\n", "only relayguard's own RSET reaches the backend")
        #expect(session.takeRecords().contains { $0.event == .command && $0.reason == .badSequence })
        session.backend("250 2.0.0 Ok\r\n")
        #expect(session.takeClient() == "", "the backend's answer to RSET is not written to the client")
        session.tlsEstablished()
        #expect(session.takeBackend() == "", "nothing injected is read after the handshake either")
    }

    @Test("after the handshake all state is forgotten: MAIL before EHLO is 503")
    func stateReset() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        session.client("STARTTLS\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        session.tlsEstablished()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@local.example>\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: send HELO/EHLO first\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.takeRecords().contains { $0.event == .tls && $0.decision == .accept })
    }

    @Test("inside TLS, EHLO offers the backend's AUTH and no second STARTTLS")
    func ehloInsideTLS() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        session.client("STARTTLS\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        session.tlsEstablished()
        _ = session.takeClient()
        session.client("EHLO client.example\r\n")
        session.backend(Self.backendEHLO)
        let reply = session.takeClient()
        #expect(reply.contains("AUTH PLAIN LOGIN"))
        #expect(!reply.contains("STARTTLS"))
        session.client("STARTTLS\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: TLS already active\r\n")
    }

    @Test("STARTTLS inside a mail transaction is refused")
    func insideTransaction() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.openWithEHLO()
        session.client("MAIL FROM:<alice@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        _ = session.takeClient()
        session.client("STARTTLS\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: STARTTLS not allowed inside a mail transaction\r\n")
        #expect(!session.tlsStarted)
    }

    @Test("AUTH before STARTTLS is refused and never forwarded")
    func authBeforeTLS() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.openWithEHLO()
        _ = session.takeBackend()
        _ = session.takeClient()
        session.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
        #expect(session.takeClient() == "503 5.5.1 Error: authentication not enabled\r\n")
        #expect(session.takeBackend() == "")
    }

    @Test("a 235 to AUTH makes the session authenticated: relay allowed, no tarpit")
    func authenticatedRelay() throws {
        var session = try Self.insideTLS()
        session.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
        #expect(session.takeBackend() == "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
        session.backend("235 2.7.0 Authentication successful\r\n")
        #expect(session.takeClient() == "235 2.7.0 Authentication successful\r\n")
        #expect(session.takeRecords().contains { $0.event == .auth && $0.reason == .authenticated })
        session.client("MAIL FROM:<alice@local.example>\r\nRCPT TO:<someone@remote.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@local.example>\r\nRCPT TO:<someone@remote.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
        #expect(session.takeRecords().contains { $0.event == .rcpt && $0.reason == .authenticated })
    }

    @Test("a failed AUTH leaves relay refused and counts as an error")
    func failedAuth() throws {
        var session = try Self.insideTLS()
        session.client("AUTH PLAIN AGFsaWNlAHdyb25n\r\n")
        session.backend("535 5.7.8 Error: authentication failed\r\n")
        #expect(session.takeClient() == "535 5.7.8 Error: authentication failed\r\n")
        #expect(session.takeRecords().contains { $0.event == .auth && $0.reason == .authFailed })
        #expect(session.machine.limits.errors == 1)
        _ = session.takeBackend()
        session.client("MAIL FROM:<alice@local.example>\r\nRCPT TO:<someone@remote.example>\r\n")
        #expect(session.takeBackend() == "MAIL FROM:<alice@local.example>\r\n")
        session.backend("250 2.1.0 Ok\r\n")
        #expect(session.takeClient() == "250 2.1.0 Ok\r\n")
        #expect(session.runningTimers[.tarpit] != nil, "the refusal waits for the tarpit")
        session.fire(.tarpit)
        #expect(session.takeClient() == "550 5.7.1 Unable to relay for <someone@remote.example>\r\n")
    }

    @Test("AUTH LOGIN: each line after a 334 is forwarded as it is, never read as a command")
    func saslLines() throws {
        var session = try Self.insideTLS()
        session.client("AUTH LOGIN\r\n")
        #expect(session.takeBackend() == "AUTH LOGIN\r\n")
        session.backend("334 VXNlcm5hbWU6\r\n")
        #expect(session.takeClient() == "334 VXNlcm5hbWU6\r\n")
        session.client("RCPT TO:<x@remote.example>\r\n")  // a SASL response that looks like a command
        #expect(session.takeBackend() == "RCPT TO:<x@remote.example>\r\n")
        session.backend("334 UGFzc3dvcmQ6\r\n")
        session.client("c2VjcmV0\r\n")
        #expect(session.takeBackend() == "c2VjcmV0\r\n")
        session.backend("235 2.7.0 Authentication successful\r\n")
        #expect(session.takeClient().hasSuffix("235 2.7.0 Authentication successful\r\n"))
        #expect(session.machine.standing.isAuthenticated)
    }

    @Test("a line pipelined behind a SASL response closes the session")
    func pipelinedSASL() throws {
        var session = try Self.insideTLS()
        session.client("AUTH LOGIN\r\n")
        session.backend("334 VXNlcm5hbWU6\r\n")
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client("YWxpY2U=\r\nMAIL FROM:<a@remote.example>\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.takeClient().hasPrefix("421 4.7.0"))
        #expect(session.isClosed)
    }

    @Test("a failed handshake is logged and closes the session")
    func handshakeFails() throws {
        var session = try SessionHarness(Self.tlsConfig)
        session.openWithEHLO()
        session.client("STARTTLS\r\n")
        session.tlsFails("wrong version number")
        #expect(session.isClosed)
        #expect(session.takeRecords().contains { $0.event == .tls && $0.reason == .tlsFailed })
    }
}

@Suite("Session machine: a TLS ClientHello where a command belongs")
struct SessionMachineClientHelloTests {
    @Test("a ClientHello in the middle of a session, without any CRLF, is not SMTP: 421 and close")
    func midSessionClientHello() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        _ = session.takeBackend()
        session.client(bytes: [0x16, 0x03, 0x01, 0x00, 0xF4, 0x01, 0x00, 0x00, 0xF0, 0x03, 0x03])
        #expect(session.takeClient() == "421 4.7.0 Not SMTP; closing\r\n")
        #expect(session.takeBackend() == "")
        #expect(session.isClosed)
    }
}

@Suite("Session machine: fixes found by the TLS end-to-end tests")
struct SessionMachineTLSFollowUpTests {
    @Test("a ClientHello longer than a command line, after EHLO, is not SMTP (not 'line too long')")
    func longClientHello() throws {
        var session = try SessionHarness()
        session.openWithEHLO()
        _ = session.takeClient()
        session.client(bytes: [0x16, 0x03, 0x01, 0x02, 0x00] + [UInt8](repeating: 0x41, count: 600))
        #expect(session.takeClient() == "421 4.7.0 Not SMTP; closing\r\n")
        #expect(session.isClosed)
    }

    @Test("the AUTH failure that reaches error_limit is logged as the 421 the client got")
    func authLimitRecord() throws {
        var session = try SessionHarness(SessionMachineTLSTests.tlsConfig + "\nerror_limit = 2")
        session.open()
        session.client("EHLO client.example\r\n")
        session.backend(SessionMachineTLSTests.backendEHLO)
        session.client("STARTTLS\r\n")
        session.backend("250 2.0.0 Ok\r\n")
        session.tlsEstablished()
        session.client("EHLO client.example\r\n")
        session.backend(SessionMachineTLSTests.backendEHLO)
        session.client("AUTH PLAIN AGFsaWNlAHdyb25n\r\n")
        session.backend("535 5.7.8 Error: authentication failed\r\n")
        session.client("AUTH PLAIN AGFsaWNlAHdyb25n\r\n")
        session.backend("535 5.7.8 Error: authentication failed\r\n")
        #expect(session.takeClient().hasSuffix("535 5.7.8 Error: authentication failed\r\n421 4.7.0 Too many errors\r\n"))
        let auths = session.records.filter { $0.event == .auth }
        #expect(auths.map(\.code) == [535, 421])
        #expect(auths.last?.reason == .tooManyErrors && auths.last?.decision == .drop)
    }

    @Test("a backend 503 to a RCPT pipelined behind a refused MAIL is a sequence error: not tarpitted, not an invalid recipient")
    func rcptWithoutMail() throws {
        var session = try SessionHarness("tarpit_delay = 5s")
        session.openWithEHLO()
        _ = session.takeClient()
        session.client("MAIL FROM:<alice@remote.example>\r\nRCPT TO:<alice@local.example>\r\n")
        session.backend("553 5.7.1 <alice@remote.example>: Sender address rejected\r\n503 5.5.1 Error: need MAIL command\r\n")
        #expect(session.takeClient() == "553 5.7.1 <alice@remote.example>: Sender address rejected\r\n503 5.5.1 Error: need MAIL command\r\n")
        #expect(session.runningTimers[.tarpit] == nil)
        #expect(session.machine.limits.invalidRecipients == 0 && session.machine.limits.errors == 1)
    }
}
