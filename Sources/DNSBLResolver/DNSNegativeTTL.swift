import CResolv

/// How long a "no such name" or "no such record" reply may be cached (RFC 2308 section 5): the
/// smaller of the TTL of the SOA record in the authority section and that SOA's MINIMUM field.
///
/// Why apart from `DNSAnswer`: only the cache needs it, and only for negative replies; the
/// authority section is walked here, on its own, so the answer parser keeps its small contract.
public enum DNSNegativeTTL {
    /// The negative-caching TTL in seconds, or nil when the reply carries no usable SOA.
    public static func seconds(in packet: [UInt8]) -> UInt32? {
        packet.withUnsafeBufferPointer { buffer -> UInt32? in
            guard buffer.count >= Int(NS_HFIXEDSZ), buffer.count <= Int(Int32.max) else { return nil }
            var message = ns_msg()
            guard ns_initparse(buffer.baseAddress, Int32(buffer.count), &message) == 0 else { return nil }
            var record = ns_rr()
            for index in 0..<Int(message._counts.2) {
                guard ns_parserr(&message, ns_s_ns, Int32(index), &record) == 0 else { return nil }
                guard record.type == UInt16(ns_t_soa.rawValue), record.rdlength >= 20 else { continue }
                // MINIMUM is the last of the five 32-bit fields that end the SOA data.
                let tail = UnsafeBufferPointer(start: record.rdata + Int(record.rdlength) - 4, count: 4)
                let minimum = tail.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                return min(record.ttl, minimum)
            }
            return nil
        }
    }
}
