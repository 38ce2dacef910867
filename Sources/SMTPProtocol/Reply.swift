/// An SMTP reply as relayguard writes it or the backend sent it:
/// a three-digit code, an optional RFC 3463 enhanced status code, and one or more text lines.
///
/// `wireBytes` renders the reply for the client: every line but the last as `CODE-`,
/// the last as `CODE `, each prefixed with the enhanced code when there is one, each ended by CRLF.
public struct Reply: Equatable, Hashable, Sendable {
    /// The three-digit reply code, 200...599.
    public var code: Int
    /// The enhanced status code, e.g. `"5.7.1"`, or nil.
    public var enhanced: String?
    /// The text lines, without code, enhanced code or CRLF. Never empty.
    public var lines: [String]

    public init(code: Int, enhanced: String? = nil, lines: [String]) {
        precondition((200...599).contains(code), "SMTP reply code out of range: \(code)")
        self.code = code
        self.enhanced = enhanced
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhanced: String?, _ text: String) {
        self.init(code: code, enhanced: enhanced, lines: [text])
    }

    /// The text of all lines joined with a space, for logs.
    public var text: String { lines.joined(separator: " ") }

    /// First digit of the code: 2 positive, 3 intermediate, 4 transient, 5 permanent.
    public var isPositive: Bool { code < 300 }
    public var isIntermediate: Bool { code >= 300 && code < 400 }
    public var isTransientFailure: Bool { code >= 400 && code < 500 }
    public var isPermanentFailure: Bool { code >= 500 }

    /// The reply as it goes on the wire.
    public var wireBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 16 })
        let codeText = Array(String(code).utf8)
        for (index, line) in lines.enumerated() {
            out.append(contentsOf: codeText)
            out.append(index == lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-"))
            if let enhanced {
                out.append(contentsOf: enhanced.utf8)
                if !line.isEmpty { out.append(UInt8(ascii: " ")) }
            }
            out.append(contentsOf: line.utf8)
            out.append(13)
            out.append(10)
        }
        return out
    }
}
