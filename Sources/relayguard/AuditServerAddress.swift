#if canImport(Glibc)
import Glibc
#endif

/// One address of the audited server, as `getaddrinfo` resolved `HOST`: the socket address to
/// connect to and the numeric IP (for the `[192.0.2.25]` address-literal cases).
struct AuditServerAddress {
    var storage: sockaddr_storage
    var length: socklen_t
    var family: Int32
    /// `192.0.2.25` or `2001:db8::25`.
    var numericHost: String

    /// Every address of `host` for TCP `port`, in `getaddrinfo`'s order, or why there is none.
    static func resolve(host: String, port: Int) -> Result<[AuditServerAddress], AuditClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(.cannotResolve(host: host, reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var addresses: [AuditServerAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            defer { entry = current.pointee.ai_next }
            guard let address = current.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            let length = current.pointee.ai_addrlen
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
            }
            var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, length, &name, socklen_t(name.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let numeric = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            addresses.append(AuditServerAddress(storage: storage, length: length, family: current.pointee.ai_family,
                                                numericHost: numeric))
        }
        guard !addresses.isEmpty else { return .failure(.cannotResolve(host: host, reason: "no usable address")) }
        return .success(addresses)
    }
}
