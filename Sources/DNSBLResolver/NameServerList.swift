// NameServerList: which DNS servers the DNSBL lookups ask.
//
// Contract: `dns_servers` when configured; otherwise the `nameserver` lines of /etc/resolv.conf,
// read once at start-up (port 53, numeric addresses only; a link-local `fe80::1%eth0` line is
// skipped, since the scope cannot be carried); when neither gives a server, 127.0.0.1:53, which
// is what the C library assumes too.
//
// Why read the file once: the daemon runs on an event loop that must never block, and a
// resolver change on a mail server is an event an administrator follows with a reload.
import Glibc
import RelayPolicy
import NetworkAddress
import EventIO

public enum NameServerList {
    /// The fallback when nothing is configured: the C library's default.
    public static let fallback = SocketAddress.ipv4(address: 0x7F00_0001, port: 53)

    /// The servers to ask, in order.
    public static func servers(configured: [SocketAddressSpec], resolvConfPath: String = "/etc/resolv.conf") -> [SocketAddress] {
        if !configured.isEmpty {
            return configured.map(SocketAddress.init)
        }
        let fromFile = readFile(resolvConfPath).map(parse(resolvConf:)) ?? []
        return fromFile.isEmpty ? [fallback] : fromFile
    }

    /// The `nameserver` addresses of resolv.conf text, in order, duplicates dropped.
    public static func parse(resolvConf text: String) -> [SocketAddress] {
        var servers: [SocketAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { continue }
            guard let ip = IPAddress(words[1]), case let address = SocketAddress(ip, port: 53), !servers.contains(address) else { continue }
            servers.append(address)
        }
        return servers
    }

    /// A small file's text, or nil when it cannot be read (start-up only: this blocks).
    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
