import NetworkAddress
import Glibc
import Testing
@testable import ProxyServer
@testable import EventIO

extension IOLayerTests {
    @Suite("SocketAddress")
    struct SocketAddressTests {
        struct ParseCase: CustomStringConvertible, Sendable {
            let description: String
            let text: String
            /// nil: must be refused.
            let shown: String?
            var host: String? = nil
            var port: UInt16? = nil
            var isIPv6 = false
        }

        static let parseCases: [ParseCase] = [
            ParseCase(description: "IPv4 with port", text: "192.0.2.1:25", shown: "192.0.2.1:25", host: "192.0.2.1", port: 25),
            ParseCase(description: "IPv4 wildcard", text: "0.0.0.0:2525", shown: "0.0.0.0:2525", host: "0.0.0.0", port: 2525),
            ParseCase(description: "IPv6 in brackets", text: "[2001:db8::1]:10025", shown: "[2001:db8::1]:10025", host: "2001:db8::1", port: 10025, isIPv6: true),
            ParseCase(description: "IPv6 wildcard", text: "[::]:25", shown: "[::]:25", host: "::", port: 25, isIPv6: true),
            ParseCase(description: "IPv4-mapped IPv6 is shown as IPv4", text: "[::ffff:192.0.2.7]:25", shown: "192.0.2.7:25", host: "192.0.2.7", port: 25),
            ParseCase(description: "IPv6 without brackets is refused", text: "2001:db8::1:25", shown: nil),
            ParseCase(description: "host name is refused (no DNS on the loop)", text: "mx.example.org:25", shown: nil),
            ParseCase(description: "missing port is refused", text: "192.0.2.1", shown: nil),
            ParseCase(description: "empty port is refused", text: "192.0.2.1:", shown: nil),
            ParseCase(description: "port above 65535 is refused", text: "192.0.2.1:65536", shown: nil),
            ParseCase(description: "signed port is refused", text: "192.0.2.1:+25", shown: nil),
            ParseCase(description: "bracket without colon is refused", text: "[::1]25", shown: nil),
        ]

        @Test(arguments: parseCases)
        func parses(_ testCase: ParseCase) {
            let address = SocketAddress(testCase.text)
            #expect(address?.description == testCase.shown)
            if let address {
                #expect(address.host == testCase.host)
                #expect(address.port == testCase.port)
                #expect(address.isIPv6 == testCase.isIPv6)
            }
        }

        @Test(arguments: ["192.0.2.1:25", "[2001:db8::1]:25", "[fe80::1]:587", "127.0.0.1:0"])
        func sockaddrRoundTrip(_ text: String) {
            let address = SocketAddress(text)!
            let back = address.withSockAddr { pointer, length in
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length))) }
                return SocketAddress(storage: storage)
            }
            #expect(back == address)
        }

        @Test("the configuration's address and the socket's are one: by bytes, both ways, never through text")
        func fromConfiguration() {
            for text in ["192.0.2.1:25", "[2001:db8::1]:25", "[::ffff:192.0.2.1]:25", "0.0.0.0:2525", "[::]:2525"] {
                let spec = SocketAddressSpec(text)!
                let address = SocketAddress(spec)
                #expect(address.ipAddress == spec.address, "\(text)")
                #expect(address.port == spec.port)
            }
            #expect(SocketAddress(SocketAddressSpec("[::ffff:192.0.2.1]:25")!) == .ipv4(address: 0xC000_0201, port: 25))
        }

        @Test("a kernel sockaddr_in6 holding an IPv4-mapped client becomes IPv4")
        func mappedStorage() {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = UInt16(4242).bigEndian
            _ = inet_pton(AF_INET6, "::ffff:198.51.100.9", &v6.sin6_addr)
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) }
            }
            #expect(SocketAddress(storage: storage) == .ipv4(address: 0xC633_6409, port: 4242))
        }
    }
}
