#if canImport(Glibc)
import Glibc
#endif
import ProxyServer
import RelayPolicy
import EventIO

/// `relayguard demo [--port N]`: relayguard on 127.0.0.1:2525 (or port N) with an embedded configuration, in front
/// of a built-in sink backend on a free loopback port, the decision log on the terminal.
/// Nothing to install, nothing delivered: a place to try the relay rules by hand.
enum DemoCommand {
    static let localDomain = "example.com"
    static let recipients = ["alice@example.com", "bob@example.com"]
    static let defaultPort: UInt16 = 2525

    /// The embedded configuration; `backend` is filled in with the sink's port.
    static func configurationText(backendPort: UInt16, port: UInt16 = defaultPort) -> String {
        """
        # relayguard demo: the embedded default configuration
        listen = 127.0.0.1:\(port)
        backend = 127.0.0.1:\(backendPort)
        backend_client_identity = proxy-v2
        hostname = relayguard.demo.invalid
        local_domains = \(localDomain)
        trusted_networks = 192.0.2.0/24
        recipient_check = map
        recipient_map = /dev/null
        tarpit_delay = 1s
        tarpit_max_delay = 5s
        invalid_recipient_limit = 5
        harvest_block_time = 1m
        log = stdout
        control_socket =
        """
    }

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: relayguard demo [--port N]   (listen on 127.0.0.1:N, default \(defaultPort))")
            return ExitStatus.success
        }
        let port: UInt16
        switch arguments.count {
        case 0:
            port = defaultPort
        case 2 where arguments[0] == "--port":
            guard let number = UInt16(arguments[1]), number > 0 else {
                StandardError.line("relayguard: demo: --port needs a port number from 1 to 65535, not '\(arguments[1])'")
                return ExitStatus.usage
            }
            port = number
        default:
            StandardError.line("relayguard: demo: unexpected arguments (usage: relayguard demo [--port N])")
            return ExitStatus.usage
        }
        SignalSource.prepareProcess()
        do {
            let loop = try EventLoop()
            let sink = try DemoSink(address: SocketAddress("127.0.0.1:0")!, loop: loop)
            let configuration = try ConfigurationParser.parse(configurationText(backendPort: sink.address.port, port: port),
                                                              file: "(demo)", defaultHostname: "localhost")
            let map = try RecipientMap(entries: recipients)
            let banner = """
            relayguard demo: listening on 127.0.0.1:\(port) for the local domain \(localDomain)
              recipients: \(recipients.joined(separator: ", "))
              backend: a built-in sink on \(sink.address) stands in for Postfix and discards every message
            Try it from another terminal:
              swaks --server 127.0.0.1:\(port) --to alice@example.com          # 250: accepted (then discarded by the sink)
              swaks --server 127.0.0.1:\(port) --to someone@remote.example     # 550 5.7.1 Unable to relay
              swaks --server 127.0.0.1:\(port) --to nobody@example.com         # 550 5.1.1 User unknown, after a 1 s tarpit
            or by hand: nc -C 127.0.0.1 \(port), then EHLO me / MAIL FROM:<a@b.example> / RCPT TO:<...> / QUIT
            The decision log (JSON Lines) follows. Ctrl-C stops.

            """
            // Straight to descriptor 1, so the banner comes before the log lines, which are written there too.
            _ = banner.withCString { Glibc.write(1, $0, strlen($0)) }
            return RunCommand.serve(LoadedPolicy(configuration: configuration, recipientMap: map), configPath: nil, loop: loop)
        } catch {
            StandardError.line("relayguard: demo: \(error)")
            return ExitStatus.problem
        }
    }
}
