/// The syntax of RFC 5321 address literals (section 4.1.3): the text between `[` and `]`.
enum AddressLiteralSyntax {
    /// Parses the content between the brackets of an address literal.
    /// Returns nil when it is none of the three forms.
    static func parse(_ content: ArraySlice<UInt8>) -> AddressLiteral? {
        guard !content.isEmpty else { return nil }
        if content.allSatisfy({ $0 == UInt8(ascii: ".") || isDigit($0) }) {
            return isIPv4(content) ? .ipv4(String(decoding: content, as: UTF8.self)) : nil
        }
        guard let colon = content.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let tag = content[..<colon]
        let value = content[(colon + 1)...]
        if isIPv6Tag(tag) {
            return isIPv6(value) ? .ipv6(String(decoding: value, as: UTF8.self)) : nil
        }
        guard isStandardizedTag(tag), !value.isEmpty, value.allSatisfy(isDcontent) else { return nil }
        return .general(tag: String(decoding: tag, as: UTF8.self), content: String(decoding: value, as: UTF8.self))
    }

    /// `IPv4-address-literal = Snum 3("." Snum)`, `Snum = 1*3DIGIT` with a value 0 to 255.
    static func isIPv4(_ text: ArraySlice<UInt8>) -> Bool {
        let fields = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard fields.count == 4 else { return false }
        for field in fields {
            guard (1...3).contains(field.count), field.allSatisfy(isDigit) else { return false }
            let value = field.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255 else { return false }
        }
        return true
    }

    /// An IPv6 address in text form (RFC 4291 section 2.2): eight groups of 1 to 4 hex digits,
    /// at most one `::` standing for one or more zero groups, and an optional IPv4 address in
    /// place of the last two groups.
    ///
    /// Why RFC 4291 and not RFC 5321's narrower `IPv6-comp` (where `::` stands for at least two
    /// groups): the backend and the system resolver accept every RFC 4291 form, and a literal
    /// refused here but valid there would only make relayguard stricter than the MTA it fronts.
    static func isIPv6(_ text: ArraySlice<UInt8>) -> Bool {
        let colon = UInt8(ascii: ":")
        var doubleColon: Int? = nil
        var index = text.startIndex
        while index + 1 < text.endIndex {
            if text[index] == colon && text[index + 1] == colon {
                doubleColon = index
                break
            }
            index += 1
        }
        if let doubleColon {
            guard let head = groupCount(text[..<doubleColon], allowsIPv4: false),
                  let tail = groupCount(text[(doubleColon + 2)...], allowsIPv4: true)
            else { return false }
            return head + tail <= 7
        }
        return groupCount(text, allowsIPv4: true) == 8
    }

    /// Number of 16-bit groups in a colon-separated piece (an IPv4 address counts two),
    /// or nil when a field is malformed. An empty piece has none.
    private static func groupCount(_ piece: ArraySlice<UInt8>, allowsIPv4: Bool) -> Int? {
        guard !piece.isEmpty else { return 0 }
        let fields = piece.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var count = 0
        for (position, field) in fields.enumerated() {
            if position == fields.count - 1 && allowsIPv4 && field.contains(UInt8(ascii: ".")) {
                guard isIPv4(field) else { return nil }
                count += 2
            } else {
                guard (1...4).contains(field.count), field.allSatisfy(isHexDigit) else { return nil }
                count += 1
            }
        }
        return count
    }

    /// `IPv6` in any case (ABNF strings are case-insensitive).
    private static func isIPv6Tag(_ tag: ArraySlice<UInt8>) -> Bool {
        tag.count == 4 && tag.map { $0 | 0x20 }.elementsEqual("ipv6".utf8)
    }

    /// `Standardized-tag = Ldh-str`: letters, digits and hyphens, ending in a letter or digit;
    /// relayguard also requires a letter first.
    ///
    /// Why the letter: tags are IANA-registered names (only `IPv6` exists), and a digit-first
    /// "tag" is in practice an IPv6 address sent without `IPv6:` (`[2001:db8::1]`), which must be
    /// refused rather than read as the general literal `2001` : `db8::1`.
    private static func isStandardizedTag(_ tag: ArraySlice<UInt8>) -> Bool {
        guard let first = tag.first, !isDigit(first), first != UInt8(ascii: "-"),
              let last = tag.last, isLetterOrDigit(last)
        else { return false }
        return tag.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// `dcontent = %d33-90 / %d94-126`: printable US-ASCII but `[`, `\` and `]`.
    private static func isDcontent(_ byte: UInt8) -> Bool {
        (33...90).contains(byte) || (94...126).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }
}
