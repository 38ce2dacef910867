/// The DNS name under which a DNSBL publishes a client address.
///
/// IPv4 `a.b.c.d` is looked up as `d.c.b.a.ZONE.`; IPv6 as its 32 nibbles in reverse order,
/// one label each, lower-case hex (RFC 5782 section 2.4). An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`) is looked up as the IPv4 address it carries.
///
/// Why mapped addresses become IPv4: a dual-stack listener reports IPv4 clients as
/// `::ffff:a.b.c.d`, and IPv4 blocklists would never list them under the nibble form.
/// The name always ends with a dot, so no resolver search list is ever applied to it.
public enum DNSBLQueryName {
    /// The query name for a client address (`bytes`: 4 for IPv4, 16 for IPv6, network order)
    /// under `zone` (with or without a trailing dot).
    ///
    /// - Precondition: `bytes.count` is 4 or 16.
    public static func name(forClientBytes bytes: [UInt8], zone: String) -> String {
        precondition(bytes.count == 4 || bytes.count == 16, "a client address has 4 or 16 bytes, not \(bytes.count)")
        var zoneBytes = Array(zone.utf8)
        while zoneBytes.last == UInt8(ascii: ".") {
            zoneBytes.removeLast()
        }
        var out: [UInt8] = []
        out.reserveCapacity(64 + zoneBytes.count + 1)
        if let ipv4 = ipv4Bytes(of: bytes) {
            for byte in ipv4.reversed() {
                appendDecimal(byte, to: &out)
                out.append(UInt8(ascii: "."))
            }
        } else {
            let hexDigits = Array("0123456789abcdef".utf8)
            for byte in bytes.reversed() {
                out.append(hexDigits[Int(byte & 0x0F)])
                out.append(UInt8(ascii: "."))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(UInt8(ascii: "."))
            }
        }
        out.append(contentsOf: zoneBytes)
        if !zoneBytes.isEmpty {
            out.append(UInt8(ascii: "."))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The IPv4 address in `bytes`: itself when 4 bytes, the embedded one when IPv4-mapped IPv6.
    private static func ipv4Bytes(of bytes: [UInt8]) -> ArraySlice<UInt8>? {
        if bytes.count == 4 {
            return bytes[...]
        }
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        if bytes.prefix(12).elementsEqual(mappedPrefix) {
            return bytes[12..<16]
        }
        return nil
    }

    private static func appendDecimal(_ byte: UInt8, to out: inout [UInt8]) {
        if byte >= 100 {
            out.append(UInt8(ascii: "0") + byte / 100)
        }
        if byte >= 10 {
            out.append(UInt8(ascii: "0") + byte / 10 % 10)
        }
        out.append(UInt8(ascii: "0") + byte % 10)
    }
}
