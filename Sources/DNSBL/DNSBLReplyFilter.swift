import NetworkAddress

/// The `=filter` of a DNSBL site: one or more address patterns separated by `;`
/// (`127.0.0.2;127.0.0.4`, `127.0.0.[2..11]`); an answer counts when any pattern matches.
public struct DNSBLReplyFilter: Hashable, Sendable, CustomStringConvertible {
    public var patterns: [DNSBLReplyPattern]

    public init(patterns: [DNSBLReplyPattern]) {
        self.patterns = patterns
    }

    public func matches(_ answer: IPAddress) -> Bool {
        patterns.contains { $0.matches(answer) }
    }

    public var description: String {
        patterns.map(\.description).joined(separator: ";")
    }

    /// Parses the filter text; `;` inside brackets belongs to an octet list, outside it
    /// separates patterns.
    ///
    /// Why a pattern that cannot match 127.x.x.x is an error: only answers inside
    /// 127.0.0.0/8 ever count (relayguard.conf(5)), so such a filter would silently disable the list.
    init(parsing text: Substring) throws(ConfigurationValueError) {
        var pieces: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "[": depth += 1
            case "]": depth -= 1
            case ";" where depth == 0:
                pieces.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        pieces.append(text[start...])
        var patterns: [DNSBLReplyPattern] = []
        for piece in pieces {
            guard !piece.isEmpty else {
                throw ConfigurationValueError("bad reply filter \"\(text)\": empty pattern")
            }
            let pattern = try DNSBLReplyPattern(parsing: piece)
            guard pattern.octets[0].contains(where: { $0.contains(127) }) else {
                throw ConfigurationValueError("bad reply filter \"\(piece)\": can never match, only answers inside 127.0.0.0/8 count")
            }
            patterns.append(pattern)
        }
        self.init(patterns: patterns)
    }
}
