/// An IPv4 or IPv6 address, as a value.
///
/// Text forms understood: the IPv4 dotted quad (`192.0.2.1`) and IPv6 text (`2001:db8::1`,
/// `::`, embedded IPv4 `::ffff:192.0.2.1`). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
/// in any spelling) becomes the IPv4 address itself.
///
/// Why: a dual-stack listener reports IPv4 clients as `::ffff:a.b.c.d`; the policy,
/// `trusted_networks` and the decision log must all see one client, `a.b.c.d` (relayguard(8), DECISION LOG).
///
/// Why the dotted quad is strict (exactly four decimal parts, no leading zeros): `inet_aton`
/// reads `010.0.0.1` as octal and `10.1` as `10.0.0.1`; an administrator's `010` is
/// refused rather than guessed.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The high 64 bits of an IPv6 address; 0 for IPv4.
    public let high: UInt64
    /// The low 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits.
    public let low: UInt64
    /// True for an IPv4 address (including one that arrived IPv4-mapped).
    public let isIPv4: Bool

    /// Parses an IPv4 dotted quad or IPv6 text; nil when it is neither.
    /// Zone identifiers (`fe80::1%eth0`) are not accepted.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if let v4 = IPAddress.parseIPv4(utf8[...]) {
            self.init(ipv4Value: v4)
        } else if let (high, low) = IPAddress.parseIPv6(utf8[...]) {
            self.init(ipv6High: high, low: low)
        } else {
            return nil
        }
    }

    /// The IPv4 address `a.b.c.d`.
    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8)) {
        self.init(ipv4Value: UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3))
    }

    /// The IPv6 address with these 16 bytes, network order; IPv4-mapped becomes IPv4.
    public init(ipv6Bytes: [UInt8]) {
        precondition(ipv6Bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(ipv6Bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(ipv6Bytes[index]) }
        self.init(ipv6High: high, low: low)
    }

    /// The IPv4 address with this 32-bit value (network order as a number).
    public init(ipv4Value: UInt32) {
        self.init(high: 0, low: UInt64(ipv4Value), isIPv4: true)
    }

    private init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    /// The IPv6 address with these 128 bits; IPv4-mapped (`::ffff:0:0/96`) becomes IPv4.
    public init(ipv6High: UInt64, low: UInt64) {
        if ipv6High == 0 && low >> 32 == 0xffff {
            self.init(ipv4Value: UInt32(truncatingIfNeeded: low))
        } else {
            self.init(high: ipv6High, low: low, isIPv4: false)
        }
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        if isIPv4 {
            return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * UInt64($0))) }
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// The IPv4 address as a 32-bit number; only meaningful when `isIPv4`.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// True for `0.0.0.0` and `::`, the "any address" of a listener.
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// Canonical text: the dotted quad, or RFC 5952 for IPv6 (lower case, no leading zeros,
    /// the longest run of two or more zero groups, the first on a tie, written `::`).
    public var description: String {
        if isIPv4 {
            return bytes.map { String($0) }.joined(separator: ".")
        }
        let groups: [UInt16] = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 {
            return hex(0..<8)
        }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    // MARK: - Parsing

    /// A strict dotted quad: four decimal parts 0...255, no sign, no leading zeros.
    public static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit) else { return nil }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return nil }
            let number = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard number <= 255 else { return nil }
            value = value << 8 | UInt32(number)
        }
        return value
    }

    /// IPv6 text as 128 bits, without the IPv4-mapped normalisation (CIDR needs the raw
    /// bits to interpret a prefix length). Accepts `::` once, an embedded dotted quad as the
    /// last 32 bits, groups of one to four hex digits.
    public static func parseIPv6(_ text: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        guard text.contains(UInt8(ascii: ":")) else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        if let gap = doubleColon(in: text) {
            let before = text[text.startIndex..<gap]
            let after = text[(gap + 2)..<text.endIndex]
            guard doubleColon(in: after) == nil else { return nil }
            guard let parsedHead = groups(before, allowIPv4Tail: false),
                  let parsedTail = groups(after, allowIPv4Tail: true),
                  parsedHead.count + parsedTail.count <= 7 else { return nil }
            head = parsedHead
            tail = parsedTail
        } else {
            guard let all = groups(text, allowIPv4Tail: true), all.count == 8 else { return nil }
            head = all
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<4 { high = high << 16 | UInt64(all[index]) }
        for index in 4..<8 { low = low << 16 | UInt64(all[index]) }
        return (high, low)
    }

    private static func doubleColon(in text: ArraySlice<UInt8>) -> Int? {
        var index = text.startIndex
        while index + 1 < text.endIndex {
            if text[index] == UInt8(ascii: ":") && text[index + 1] == UInt8(ascii: ":") { return index }
            index += 1
        }
        return nil
    }

    /// Colon-separated groups; empty text is no groups. The last part may be a dotted quad.
    private static func groups(_ text: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (position, part) in parts.enumerated() {
            if part.contains(UInt8(ascii: ".")) {
                guard allowIPv4Tail, position == parts.count - 1, let v4 = parseIPv4(part) else { return nil }
                result.append(UInt16(truncatingIfNeeded: v4 >> 16))
                result.append(UInt16(truncatingIfNeeded: v4))
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var value: UInt16 = 0
            for byte in part {
                guard let digit = hexValue(byte) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            result.append(value)
        }
        return result
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
