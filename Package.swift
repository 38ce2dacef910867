// swift-tools-version:6.0
// relayguard: an SMTP proxy that refuses relay at RCPT time.
// No package dependencies: the toolchain and system C libraries only (SPEC section 1).
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

        // Pure modules: no sockets, no clock, no Glibc.
        .target(name: "SMTPProtocol"),
        .target(name: "DecisionLog"),
        .target(name: "RelayPolicy", dependencies: ["SMTPProtocol", "DecisionLog"]),
        .target(name: "RelayAudit", dependencies: ["DecisionLog"]),
        .target(name: "LogReport", dependencies: ["DecisionLog"]),
        // The session state machine: pure like the modules above, no Glibc, Foundation or Dispatch.
        .target(name: "SMTPSession", dependencies: ["SMTPProtocol", "RelayPolicy", "DecisionLog"]),

        // I/O around the pure core.
        .target(name: "DNSBL", dependencies: ["CResolv"]),
        .target(name: "ProxyServer", dependencies: ["SMTPSession", "SMTPProtocol", "RelayPolicy", "DecisionLog", "DNSBL", "CLinuxEvent", "COpenSSL"]),

        .executableTarget(name: "relayguard", dependencies: ["ProxyServer", "SMTPProtocol", "RelayPolicy", "DecisionLog", "DNSBL",
                                                         "RelayAudit", "LogReport", "CZlib"]),
        // bench/dnsbl-bench.sh: DNSBL lookups per second against dnsmasq, cost of a cache hit.
        .executableTarget(name: "dnsbl-bench", dependencies: ["ProxyServer", "RelayPolicy"]),

        .testTarget(name: "SMTPProtocolTests", dependencies: ["SMTPProtocol"]),
        .testTarget(name: "DecisionLogTests", dependencies: ["DecisionLog"]),
        .testTarget(name: "RelayPolicyTests", dependencies: ["RelayPolicy", "SMTPProtocol", "DecisionLog"]),
        .testTarget(name: "DNSBLTests", dependencies: ["DNSBL"]),
        .testTarget(name: "SMTPSessionTests", dependencies: ["SMTPSession", "RelayPolicy", "SMTPProtocol", "DecisionLog"]),
        .testTarget(name: "ProxyServerTests", dependencies: ["ProxyServer", "COpenSSL", "RelayPolicy", "SMTPProtocol", "DecisionLog"]),
        .testTarget(name: "RelayAuditTests", dependencies: ["RelayAudit"]),
        .testTarget(name: "LogReportTests", dependencies: ["LogReport"]),
    ],
    swiftLanguageModes: [.v6]
)
