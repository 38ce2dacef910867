/// Rewrites the backend's EHLO reply into the one relayguard relays to the client (docs/ARCHITECTURE.md, protocol safety).
///
/// The first line (the greeting) is kept, or replaced by relayguard's `hostname` when given.
/// Each following line is an extension: its keyword is the first word, up to a space or `=`,
/// compared case-insensitively. Extensions relayguard cannot follow or does not allow are
/// dropped; everything else (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN, ENHANCEDSTATUSCODES,
/// VRFY, ...) is kept in the backend's order. relayguard's own STARTTLS is added at the end when
/// it terminates TLS. A reply other than 250 is returned unchanged.
public struct EHLOFilter: Sendable {
    /// Extensions never relayed to the client (upper case), whatever the session state.
    public static let droppedKeywords: Set<String> = [
        // Why: BDAT chunk bytes cannot be checked for smuggling; BDAT is refused with 502 (docs/ARCHITECTURE.md, protocol safety).
        "CHUNKING",
        // Why: BINARYMIME is only usable with BDAT, which is not allowed.
        "BINARYMIME",
        // Why: XCLIENT would let the client give the backend a false client address and name.
        "XCLIENT",
        // Why: XFORWARD would let the client forge the client identity in the backend's logs.
        "XFORWARD",
        // Why: ETRN is refused with 502 (docs/ARCHITECTURE.md, protocol safety); advertising it would invite it.
        "ETRN",
        // Why: the backend's STARTTLS would encrypt past relayguard; relayguard offers its own.
        "STARTTLS",
        // Why: with PRDR the backend answers end of data once per recipient, which the one-reply-per-command lockstep cannot follow (Exim offers it).
        "PRDR",
        // Why: PIPECONNECT (Exim) invites the client to talk before the greeting, which
        // relayguard treats as an early talker.
        "PIPECONNECT",
    ]

    /// Whether relayguard's own STARTTLS is advertised.
    public var offerSTARTTLS: Bool
    /// Whether the backend's AUTH (and the old `AUTH=` form) is relayed.
    public var offerAUTH: Bool

    /// - Parameters:
    ///   - offerSTARTTLS: true when TLS is configured and the session is not yet inside TLS
    ///     (RFC 3207: STARTTLS must not be offered again after the handshake).
    ///   - offerAUTH: true only once the session is inside TLS.
    ///     Why: AUTH in plaintext would expose passwords, and relayguard.conf(5), RELAY DECISION grants relay only to AUTH after STARTTLS.
    public init(offerSTARTTLS: Bool, offerAUTH: Bool) {
        self.offerSTARTTLS = offerSTARTTLS
        self.offerAUTH = offerAUTH
    }

    /// The reply for the client.
    public func filter(_ reply: Reply, hostname: String?) -> Reply {
        guard reply.code == 250 else { return reply }
        var lines: [String] = []
        lines.reserveCapacity(reply.lines.count + 1)
        lines.append(hostname ?? reply.lines[0])
        for line in reply.lines.dropFirst() where isRelayed(line) {
            lines.append(line)
        }
        if offerSTARTTLS { lines.append("STARTTLS") }
        return Reply(code: 250, enhanced: reply.enhanced, lines: lines)
    }

    /// Whether one extension line is relayed.
    private func isRelayed(_ line: String) -> Bool {
        let keyword = Self.keyword(of: line)
        if keyword == "AUTH" { return offerAUTH }
        return !Self.droppedKeywords.contains(keyword)
    }

    /// The extension keyword of a line, upper-cased: the text up to the first space or `=`.
    static func keyword(of line: String) -> String {
        let word = line.utf8.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\t") }
        return String(decoding: word.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }, as: UTF8.self)
    }
}
