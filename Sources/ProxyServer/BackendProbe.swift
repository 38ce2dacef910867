// BackendProbe: the start-up safety check. relayguard connects to its backend once, the way
// every session will (identity header first), says QUIT, and reports whether the backend took
// the header as it should.
//
// Why: a backend that does not expect the PROXY header still greets with 220 and then answers
// the header as a bad command; every real session would then be out of step with it. An
// administrator who forgot `smtpd_upstream_proxy_protocol = haproxy` should hear it at start,
// in plain words, not from confused clients.
import RelayPolicy
import SMTPProtocol
import SMTPSession
import NetworkAddress
import EventIO

public enum BackendProbe {
    public enum Outcome: Equatable {
        case accepted
        case problem(String)
    }

    /// Runs the check on `loop`; `completion` runs once, on the loop.
    ///
    /// When any listener is IPv6, a second conversation announces an IPv6 client: a backend
    /// that takes only IPv4 (Postfix with `inet_protocols = ipv4`) would refuse every IPv6
    /// client, and that must be said at start, not found out from clients getting 421.
    public static func run(configuration: Configuration, loop: EventLoop, timeout: Duration = .seconds(10),
                           completion: @escaping (Outcome) -> Void) {
        let servesIPv6 = configuration.listen.contains { !$0.address.isIPv4 }
        converse(configuration: configuration, client: probeClient, loop: loop, timeout: timeout) { outcome in
            guard servesIPv6, outcome == .accepted else { return completion(outcome) }
            converse(configuration: configuration, client: probeClientIPv6, loop: loop, timeout: timeout) { outcome in
                switch outcome {
                case .accepted: completion(.accepted)
                case .problem(let what):
                    completion(.problem("IPv6 clients: the backend takes the header with an IPv4 client but refuses it with "
                        + "the IPv6 client \(probeClientIPv6) (\(what)); every IPv6 client will get 421 4.3.0: let the "
                        + "backend accept IPv6 client addresses (Postfix: inet_protocols = all) or listen on IPv4 only"))
                }
            }
        }
    }

    private static func converse(configuration: Configuration, client: IPAddress, loop: EventLoop, timeout: Duration,
                                 completion: @escaping (Outcome) -> Void) {
        let backend = configuration.backend
        let address = SocketAddress(backend)
        let identity = configuration.backendClientIdentity
        OutboundConnector.connect(to: address, timeout: timeout, loop: loop) { result in
            switch result {
            case .failure(let error):
                completion(.problem("cannot connect to backend \(backend): \(error); sessions get 421 4.3.0 until it is up"))
            case .success(let link):
                Conversation(link: link, identity: identity, client: client, backend: "\(backend)", loop: loop, timeout: timeout,
                             completion: completion).start()
            }
        }
    }

    /// The client address the probe's header announces: a documentation address (RFC 5737),
    /// so the one probe session in the backend's log at every start is recognisable and is
    /// never mistaken for a real client, nor for relayguard's own address.
    static let probeClient = IPAddress("198.51.100.254")!
    /// The same for the IPv6 probe: a documentation address (RFC 3849).
    static let probeClientIPv6 = IPAddress("2001:db8::fe")!

    /// One probe conversation: header, greeting, QUIT, and every reply until the backend closes.
    private final class Conversation {
        let link: BufferedConnection
        let identity: BackendClientIdentity
        let client: IPAddress
        let backend: String
        let loop: EventLoop
        let timeout: Duration
        var completion: ((Outcome) -> Void)?
        var parser = ReplyParser()
        var replies: [Reply] = []
        var timer: TimerHandle?
        var keepAlive: Conversation?

        init(link: BufferedConnection, identity: BackendClientIdentity, client: IPAddress, backend: String, loop: EventLoop,
             timeout: Duration, completion: @escaping (Outcome) -> Void) {
            self.link = link
            self.identity = identity
            self.client = client
            self.backend = backend
            self.loop = loop
            self.timeout = timeout
            self.completion = completion
        }

        func start() {
            keepAlive = self
            if let header = ClientIdentityHeader.preamble(identity, client: client, clientPort: 1,
                                                          server: client, serverPort: 25) {
                link.write(header)
            }
            link.onRead = { [unowned self] bytes in received(Array(bytes)) }
            link.onEndOfInput = { [unowned self] in finish() }
            link.onError = { [unowned self] _ in finish() }
            timer = loop.schedule(after: timeout) { [unowned self] in
                finish(timedOut: true)
            }
        }

        func received(_ bytes: [UInt8]) {
            parser.append(bytes)
            while let parsed = try? parser.nextReply() {
                replies.append(parsed.reply)
                if replies.count == 1 {
                    if identity == .xclient {
                        link.write(ClientIdentityHeader.xclientCommand(client: client, clientPort: 1))
                    }
                    link.write("QUIT\r\n")
                }
                if parsed.reply.code == 221 { finish() }
            }
        }

        func finish(timedOut: Bool = false) {
            guard let completion else { return }
            self.completion = nil
            if let timer { _ = loop.cancel(timer) }
            link.close()
            completion(verdict(timedOut: timedOut))
            loop.runSoon { [self] in keepAlive = nil }
        }

        func verdict(timedOut: Bool) -> Outcome {
            let header: String
            let fix: String
            switch identity {
            case .proxyV2: header = "PROXY v2"; fix = "set smtpd_upstream_proxy_protocol = haproxy on that port (Postfix) or hosts_proxy (Exim)"
            case .proxyV1: header = "PROXY v1"; fix = "set smtpd_upstream_proxy_protocol = haproxy on that port (Postfix) or hosts_proxy (Exim)"
            case .xclient: header = "XCLIENT"; fix = "list relayguard's address in smtpd_authorized_xclient_hosts (Postfix)"
            case .none: header = "no identity header"; fix = ""
            }
            // The IPv6 probe follows an IPv4 one that passed: the header itself is configured,
            // so the advice about enabling it would mislead.
            let advice = fix.isEmpty || !client.isIPv4 ? "" : ": \(fix)"
            guard let greeting = replies.first else {
                return .problem("backend \(backend) \(timedOut ? "did not greet in time" : "closed without a greeting") after the \(header) header\(advice)")
            }
            guard greeting.code == 220 else {
                return .problem("backend \(backend) greeted with \(greeting.code) \(greeting.text) after the \(header) header\(advice)")
            }
            // Everything between the greeting and the 221 answers something relayguard did not
            // mean as a command: the header itself.
            let complaints = replies.dropFirst().filter { $0.code >= 400 }
            if let complaint = complaints.first {
                if identity == .xclient && complaint.code >= 500 {
                    return .problem("backend \(backend) did not accept XCLIENT (\(complaint.code) \(complaint.text))\(advice)")
                }
                return .problem("backend \(backend) did not accept \(header) (it answered \(complaint.code) \(complaint.text))\(advice)")
            }
            return .accepted
        }
    }
}
