/// The SMTP verbs relayguard recognises, spelled as on the wire (upper case), and the one
/// table of what each may do (docs/ARCHITECTURE.md, protocol safety). The parser reads it for arguments; the session
/// reads it for grouping, sequence and handling. A new command is one case here and one row
/// in `rules`; the exhaustive switches then say everywhere else it must be handled.
///
/// Verbs compare as ASCII bytes, case-insensitively (RFC 5321 section 2.4): `RſET` is not RSET.
public enum CommandVerb: String, Hashable, Sendable, CaseIterable {
    case helo = "HELO"
    case ehlo = "EHLO"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case rset = "RSET"
    case noop = "NOOP"
    case quit = "QUIT"
    case vrfy = "VRFY"
    case expn = "EXPN"
    case help = "HELP"
    case starttls = "STARTTLS"
    case auth = "AUTH"
    case bdat = "BDAT"
    case xclient = "XCLIENT"
    case xforward = "XFORWARD"
    case etrn = "ETRN"
    case turn = "TURN"

    /// The verb for bytes compared as ASCII, case-insensitively; nil for anything else
    /// (a non-ASCII byte included).
    public init?<C: Collection>(asciiBytes bytes: C) where C.Element == UInt8 {
        guard (4...8).contains(bytes.count), bytes.allSatisfy({ ASCII.uppercased($0) &- 65 < 26 }) else { return nil }
        self.init(rawValue: ASCII.uppercased(bytes))
    }

    /// How relayguard handles a command.
    public enum Handling: Sendable, Equatable {
        /// Forwarded to the backend as sent, once approved; the backend's reply is the answer.
        case forward
        /// Answered by relayguard itself; never forwarded.
        case answerLocally
        /// Refused `502 5.5.1`; never forwarded.
        case refuse
        /// Refused `502 5.5.1` and the session closed: what follows on the line cannot be
        /// trusted as commands (BDAT chunk bytes).
        case refuseAndClose
    }

    /// What the parser expects after the verb.
    public enum Arguments: Sendable, Equatable {
        /// Nothing: any argument is `501 5.5.4`.
        case none
        /// At least one word.
        case required
        /// Anything, ignored (the command is never forwarded, or its text does not matter).
        case ignored
        /// The verb's own grammar (MAIL, RCPT, AUTH).
        case own
    }

    /// One row of the table.
    public struct Rules: Sendable, Equatable {
        public var handling: Handling
        public var arguments: Arguments
        /// RFC 2920 section 3.1: no byte after it is forwarded before its reply.
        ///
        /// Why NOOP: RFC 2920 lists it as ending a group, and clients use it as a sync point.
        /// Commands relayguard answers itself end no group: their replies are local and queued
        /// in order.
        public var endsGroup: Bool
        /// Allowed after STARTTLS before a new HELO/EHLO. STARTTLS forgets the session's state
        /// while the backend's link keeps its own, so relayguard enforces the fresh greeting.
        public var beforeHelloAfterTLS: Bool
        /// Allowed while a mail transaction is open. While its MAIL is still unanswered, a
        /// command not allowed in one waits for the answer.
        public var inTransaction: Bool
        /// Only inside a mail transaction (or after a MAIL still unanswered). For RCPT the
        /// session applies it after the relay decision: a relay attempt is refused as such.
        public var needsMail: Bool
        /// A command that moves no mail: NOOP, VRFY, EXPN, RSET, HELP. Beyond
        /// `junk_command_limit` in one session each one counts as an error.
        public var isJunk: Bool
    }

    /// The table.
    public var rules: Rules {
        switch self {
        case .helo, .ehlo:
            Rules(handling: .forward, arguments: .required, endsGroup: true, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: false)
        case .mail:
            Rules(handling: .forward, arguments: .own, endsGroup: false, beforeHelloAfterTLS: false, inTransaction: false, needsMail: false, isJunk: false)
        case .rcpt:
            Rules(handling: .forward, arguments: .own, endsGroup: false, beforeHelloAfterTLS: false, inTransaction: true, needsMail: true, isJunk: false)
        case .data:
            Rules(handling: .forward, arguments: .none, endsGroup: true, beforeHelloAfterTLS: false, inTransaction: true, needsMail: true, isJunk: false)
        case .rset:
            Rules(handling: .forward, arguments: .none, endsGroup: false, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: true)
        case .noop:
            Rules(handling: .forward, arguments: .ignored, endsGroup: true, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: true)
        case .quit:
            Rules(handling: .forward, arguments: .none, endsGroup: true, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: false)
        case .vrfy, .expn:
            Rules(handling: .answerLocally, arguments: .required, endsGroup: false, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: true)
        case .help:
            Rules(handling: .refuse, arguments: .ignored, endsGroup: false, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: true)
        case .starttls:
            // Answered by relayguard, which terminates TLS; ends the group: whatever was
            // pipelined after it in plaintext is thrown away.
            Rules(handling: .answerLocally, arguments: .none, endsGroup: true, beforeHelloAfterTLS: false, inTransaction: false, needsMail: false, isJunk: false)
        case .auth:
            // Forwarded only inside TLS, one SASL line per 334; nothing may be pipelined after it.
            Rules(handling: .forward, arguments: .own, endsGroup: true, beforeHelloAfterTLS: false, inTransaction: false, needsMail: false, isJunk: false)
        case .bdat:
            Rules(handling: .refuseAndClose, arguments: .ignored, endsGroup: false, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: false)
        case .xclient, .xforward, .etrn, .turn:
            Rules(handling: .refuse, arguments: .ignored, endsGroup: false, beforeHelloAfterTLS: true, inTransaction: true, needsMail: false, isJunk: false)
        }
    }

    /// The command's syntax, as `501 5.5.4 Syntax: ...` replies show it.
    public var usage: String {
        switch self {
        case .helo: "HELO hostname"
        case .ehlo: "EHLO hostname"
        case .mail: "MAIL FROM:<address>"
        case .rcpt: "RCPT TO:<address>"
        case .data: "DATA"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .vrfy: "VRFY address"
        case .expn: "EXPN mailing-list"
        case .help: "HELP"
        case .starttls: "STARTTLS"
        case .auth: "AUTH mechanism [initial-response]"
        case .bdat: "BDAT size [LAST]"
        case .xclient: "XCLIENT attribute=value..."
        case .xforward: "XFORWARD attribute=value..."
        case .etrn: "ETRN domain"
        case .turn: "TURN"
        }
    }
}
