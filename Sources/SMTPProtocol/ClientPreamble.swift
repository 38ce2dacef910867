/// What the very first bytes from a client are, before any line framing.
///
/// Why: the PROXY protocol v2 signature begins with `\r\n\r\n`, which a line framer would read
/// as two empty commands; a TLS ClientHello holds no CRLF at all and would only surface as an
/// overlong line. Classifying the opening bytes first lets the proxy close such sessions with
/// `421 4.7.0 Not SMTP` (reasons `client_proxy_header`, `non_smtp_command`) at once.
public enum ClientPreamble: Equatable, Hashable, Sendable {
    /// A PROXY protocol v1 header: `PROXY ` (the protocol spells it in upper case).
    case proxyV1
    /// A PROXY protocol v2 header: the 12-byte signature `\r\n\r\n\0\r\nQUIT\n`.
    case proxyV2
    /// A TLS handshake record (content type 0x16, major version 3): a ClientHello.
    case tlsHandshake
    /// Anything else: SMTP commands go to the line framer.
    case smtp
    /// The bytes so far are a prefix of one of the signatures above: read more before deciding.
    case needMoreBytes

    /// The 12-byte PROXY protocol v2 signature.
    public static let proxyV2Signature: [UInt8] = [
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
    ]
    /// The PROXY protocol v1 signature, `PROXY `.
    public static let proxyV1Signature: [UInt8] = Array("PROXY ".utf8)

    /// The longest prefix `classify` may need to decide.
    public static let maximumPrefixLength = proxyV2Signature.count

    /// Classifies the first bytes a client sent (the whole buffer so far; only its first
    /// `maximumPrefixLength` bytes are looked at).
    public static func classify<C: Collection>(_ bytes: C) -> ClientPreamble where C.Element == UInt8 {
        let prefix = Array(bytes.prefix(maximumPrefixLength))
        guard !prefix.isEmpty else { return .needMoreBytes }
        var undecided = false
        for (signature, kind) in [(proxyV2Signature, ClientPreamble.proxyV2), (proxyV1Signature, .proxyV1)] {
            switch compare(prefix, with: signature) {
            case .matches: return kind
            case .isPrefix: undecided = true
            case .differs: break
            }
        }
        if prefix[0] == 0x16 {
            guard prefix.count >= 2 else { return .needMoreBytes }
            if prefix[1] == 0x03 { return .tlsHandshake }
        }
        return undecided ? .needMoreBytes : .smtp
    }

    private enum PrefixComparison { case matches, isPrefix, differs }

    private static func compare(_ bytes: [UInt8], with signature: [UInt8]) -> PrefixComparison {
        let common = min(bytes.count, signature.count)
        guard bytes[..<common].elementsEqual(signature[..<common]) else { return .differs }
        return common == signature.count ? .matches : .isPrefix
    }
}
