/// Syntax checks for the domain names and domain-list entries of the configuration
/// (`hostname`, `local_domains`, `relay_domains`, DNSBL zones).
///
/// A name is letters, digits and hyphens in labels of 1 to 63 octets (no hyphen first or
/// last), at most 253 octets in all, compared in lower case, one trailing dot dropped.
public enum DomainNameSyntax {
    /// The name in lower case without a trailing dot, or nil when it is not a valid name.
    /// A name that is all digits and dots (an IP address) is refused.
    public static func canonicalName(_ text: some StringProtocol) -> String? {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...63).contains(label.utf8.count),
                  label.utf8.allSatisfy({ isLetterDigitHyphen($0) }),
                  label.first != "-", label.last != "-" else { return nil }
        }
        if name.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) { return nil }
        return name
    }

    /// A `local_domains` / `relay_domains` entry in canonical form: `example.org`,
    /// `.example.org` (subdomains), `[192.0.2.1]` or `[ipv6:2001:db8::1]` (address literals,
    /// the address in canonical text).
    public static func canonicalDomainEntry(_ text: some StringProtocol) throws(ConfigurationValueError) -> String {
        let text = String(text)
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), text.count > 2 else {
                throw ConfigurationValueError("bad domain \"\(text)\": an address literal is [192.0.2.1] or [IPv6:2001:db8::1]")
            }
            let inside = text.dropFirst().dropLast()
            if let v4 = IPAddress.parseIPv4(Array(inside.utf8)[...]) {
                return "[\(IPAddress(ipv4Value: v4))]"
            }
            if inside.lowercased().hasPrefix("ipv6:"), let address = IPAddress(inside.dropFirst(5)) {
                return address.isIPv4 ? "[\(address)]" : "[ipv6:\(address)]"
            }
            throw ConfigurationValueError("bad domain \"\(text)\": an address literal is [192.0.2.1] or [IPv6:2001:db8::1]")
        }
        if text.hasPrefix("*.") {
            throw ConfigurationValueError("bad domain \"\(text)\": write .\(text.dropFirst(2)) to match subdomains")
        }
        let subdomains = text.hasPrefix(".")
        let name = subdomains ? text.dropFirst() : text[...]
        if IPAddress(name) != nil {
            throw ConfigurationValueError("bad domain \"\(text)\": write an IP address as a literal, [\(name)]")
        }
        guard let canonical = canonicalName(name) else {
            throw ConfigurationValueError("bad domain \"\(text)\": not a domain name")
        }
        return subdomains ? "." + canonical : canonical
    }

    private static func isLetterDigitHyphen(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): return true
        default: return false
        }
    }
}
