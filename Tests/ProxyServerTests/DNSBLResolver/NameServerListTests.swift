import Testing
import RelayPolicy
@testable import ProxyServer
import NetworkAddress
@testable import DNSBLResolver

@Suite("NameServerList")
struct NameServerListTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "one IPv4 server", text: "nameserver 10.255.255.53\n", expected: ["10.255.255.53:53"]),
        .init(name: "comments, search and options ignored", text: "# generated\nsearch example.org\nnameserver 192.0.2.53\noptions ndots:2\n; old\n",
              expected: ["192.0.2.53:53"]),
        .init(name: "several servers in order, IPv6 too, tabs", text: "nameserver\t192.0.2.1\nnameserver 2001:db8::53\nnameserver 192.0.2.2\n",
              expected: ["192.0.2.1:53", "[2001:db8::53]:53", "192.0.2.2:53"]),
        .init(name: "duplicates dropped", text: "nameserver 192.0.2.1\nnameserver 192.0.2.1\n", expected: ["192.0.2.1:53"]),
        .init(name: "scoped link-local and names skipped", text: "nameserver fe80::1%eth0\nnameserver dns.example\nnameserver 127.0.0.53\n",
              expected: ["127.0.0.53:53"]),
        .init(name: "commented-out line skipped", text: "#nameserver 192.0.2.9\n", expected: []),
        .init(name: "CRLF line ends", text: "nameserver 192.0.2.1\r\n", expected: ["192.0.2.1:53"]),
    ]

    @Test("reads resolv.conf", arguments: cases)
    func reads(_ testCase: Case) {
        #expect(NameServerList.parse(resolvConf: testCase.text).map(\.description) == testCase.expected)
    }

    @Test("dns_servers wins over resolv.conf")
    func configuredWins() throws {
        let spec = try #require(SocketAddressSpec("127.0.0.1:5353"))
        #expect(NameServerList.servers(configured: [spec], resolvConfPath: "/etc/resolv.conf").map(\.description) == ["127.0.0.1:5353"])
    }

    @Test("no file: 127.0.0.1:53")
    func fallback() {
        #expect(NameServerList.servers(configured: [], resolvConfPath: "/nonexistent/resolv.conf") == [NameServerList.fallback])
        #expect(NameServerList.fallback.description == "127.0.0.1:53")
    }
}
