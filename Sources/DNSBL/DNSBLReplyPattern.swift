import NetworkAddress

/// One address pattern of a postscreen DNSBL reply filter: four octet patterns `d.d.d.d`,
/// where each is a number (`2`) or a bracketed list of numbers and ranges (`[2..11]`,
/// `[1;3;5..7]`), as in Postfix `postscreen_dnsbl_sites`.
public struct DNSBLReplyPattern: Hashable, Sendable, CustomStringConvertible {
    /// For each of the four octets, the ranges it may fall in (a single number is `n...n`).
    public var octets: [[ClosedRange<UInt8>]]

    public init(octets: [[ClosedRange<UInt8>]]) {
        precondition(octets.count == 4, "a reply pattern has four octets")
        self.octets = octets
    }

    /// True when every octet of the IPv4 `answer` is inside its octet pattern.
    public func matches(_ answer: IPAddress) -> Bool {
        guard answer.isIPv4 else { return false }
        return zip(answer.bytes, octets).allSatisfy { byte, ranges in
            ranges.contains { $0.contains(byte) }
        }
    }

    /// `127.0.0.[2..11]`: a lone number is written bare, anything else in brackets.
    public var description: String {
        octets.map { ranges in
            if ranges.count == 1, ranges[0].lowerBound == ranges[0].upperBound {
                return String(ranges[0].lowerBound)
            }
            let items = ranges.map { range in
                range.lowerBound == range.upperBound ? String(range.lowerBound) : "\(range.lowerBound)..\(range.upperBound)"
            }
            return "[" + items.joined(separator: ";") + "]"
        }.joined(separator: ".")
    }

    /// Parses one pattern from `text` (no `;` outside brackets).
    init(parsing text: Substring) throws(ConfigurationValueError) {
        let bytes = Array(text.utf8)
        var index = 0
        var octets: [[ClosedRange<UInt8>]] = []
        func fail(_ why: String) -> ConfigurationValueError {
            ConfigurationValueError("bad reply filter \"\(text)\": \(why)")
        }
        while true {
            if index < bytes.count && bytes[index] == UInt8(ascii: "[") {
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "]")) else {
                    throw fail("missing ]")
                }
                let inside = bytes[(index + 1)..<close]
                var ranges: [ClosedRange<UInt8>] = []
                for item in inside.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
                    ranges.append(try DNSBLReplyPattern.range(item, fail: fail))
                }
                octets.append(ranges)
                index = close + 1
            } else {
                var end = index
                while end < bytes.count && bytes[end] != UInt8(ascii: ".") { end += 1 }
                guard let number = DNSBLReplyPattern.octet(bytes[index..<end]) else {
                    throw fail("each part is a number 0 to 255 or a [list] like [2..11] or [1;3]")
                }
                octets.append([number...number])
                index = end
            }
            if octets.count == 4 { break }
            guard index < bytes.count && bytes[index] == UInt8(ascii: ".") else {
                throw fail("expected four parts d.d.d.d")
            }
            index += 1
        }
        guard index == bytes.count else { throw fail("expected four parts d.d.d.d") }
        self.init(octets: octets)
    }

    private static func range(
        _ item: ArraySlice<UInt8>, fail: (String) -> ConfigurationValueError
    ) throws(ConfigurationValueError) -> ClosedRange<UInt8> {
        if let dot = item.firstIndex(of: UInt8(ascii: ".")) {
            guard dot + 1 < item.endIndex, item[dot + 1] == UInt8(ascii: "."),
                  let low = octet(item[..<dot]),
                  let high = octet(item[(dot + 2)...]) else {
                throw fail("a range is n..m with numbers 0 to 255")
            }
            guard low <= high else { throw fail("range \(low)..\(high) is backwards") }
            return low...high
        }
        guard let number = octet(item) else {
            throw fail("a [list] holds numbers 0 to 255 and ranges n..m, separated by ;")
        }
        return number...number
    }

    private static func octet(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard (1...3).contains(digits.count),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return value <= 255 ? UInt8(value) : nil
    }
}
