// swift-tools-version:6.0
// relayguard: an SMTP proxy that refuses relay at RCPT time.
// No package dependencies: the toolchain and system C libraries only.
//
// The target graph is the architecture (docs/ARCHITECTURE.md): the pure modules import no
// Glibc, Foundation or Dispatch and depend only on each other; the I/O shell is built around
// them; the executable sits on top.
import PackageDescription

let package = Package(
    name: "relayguard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "relayguard", targets: ["relayguard"]),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CResolv", path: "Sources/CResolv"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLinuxEvent", path: "Sources/CLinuxEvent"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),

        // Pure modules: values and state machines, no sockets, no clock, no Glibc.
        .target(name: "NetworkAddress"),
        .target(name: "SMTPProtocol"),
        .target(name: "DecisionLog"),
        .target(name: "DNSBL", dependencies: ["NetworkAddress", "DecisionLog"]),
        .target(name: "RelayPolicy", dependencies: ["NetworkAddress", "SMTPProtocol", "DecisionLog", "DNSBL"]),
        .target(name: "SMTPSession", dependencies: ["NetworkAddress", "SMTPProtocol", "RelayPolicy", "DecisionLog", "DNSBL"]),
        .target(name: "RelayAudit", dependencies: ["DecisionLog"]),
        .target(name: "LogReport", dependencies: ["DecisionLog"]),

        // The I/O shell: the event loop with its sockets, timers and signals; TLS; the DNSBL
        // resolver on the loop; the proxy that wires sessions to connections.
        .target(name: "EventIO", dependencies: ["NetworkAddress", "CLinuxEvent"]),
        .target(name: "TLSTransport", dependencies: ["COpenSSL"]),
        .target(name: "DNSBLResolver", dependencies: ["EventIO", "DNSBL", "NetworkAddress", "RelayPolicy", "CResolv"]),
        .target(name: "ProxyServer", dependencies: ["EventIO", "TLSTransport", "DNSBLResolver", "SMTPSession", "SMTPProtocol",
                                                    "RelayPolicy", "DecisionLog", "DNSBL", "NetworkAddress"]),

        .executableTarget(name: "relayguard", dependencies: ["ProxyServer", "EventIO", "DNSBLResolver", "SMTPProtocol", "RelayPolicy",
                                                         "DecisionLog", "DNSBL", "NetworkAddress", "RelayAudit", "LogReport", "CZlib"]),
        // bench/dnsbl-bench.sh: DNSBL lookups per second against dnsmasq, cost of a cache hit.
        .executableTarget(name: "dnsbl-bench", dependencies: ["EventIO", "DNSBLResolver", "DNSBL", "RelayPolicy", "NetworkAddress"]),

        // Test doubles shared by test targets (a manual clock).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NetworkAddressTests", dependencies: ["NetworkAddress"]),
        .testTarget(name: "SMTPProtocolTests", dependencies: ["SMTPProtocol"]),
        .testTarget(name: "DecisionLogTests", dependencies: ["DecisionLog"]),
        .testTarget(name: "DNSBLTests", dependencies: ["DNSBL", "NetworkAddress", "TestSupport"]),
        .testTarget(name: "RelayPolicyTests", dependencies: ["RelayPolicy", "SMTPProtocol", "DecisionLog", "DNSBL", "NetworkAddress",
                                                            "TestSupport"]),
        .testTarget(name: "SMTPSessionTests", dependencies: ["SMTPSession", "RelayPolicy", "SMTPProtocol", "DecisionLog", "DNSBL",
                                                            "NetworkAddress"]),
        // The I/O shell in process, over real sockets: EventIO, TLSTransport, DNSBLResolver and
        // the session driver (one target: the suites share one descriptor limit and run serialized).
        .testTarget(name: "ProxyServerTests", dependencies: ["ProxyServer", "EventIO", "TLSTransport", "DNSBLResolver", "COpenSSL", "CResolv",
                                                            "RelayPolicy", "SMTPProtocol", "SMTPSession", "DecisionLog", "DNSBL",
                                                            "NetworkAddress"]),
        .testTarget(name: "RelayAuditTests", dependencies: ["RelayAudit"]),
        .testTarget(name: "LogReportTests", dependencies: ["LogReport"]),
    ],
    swiftLanguageModes: [.v6]
)
