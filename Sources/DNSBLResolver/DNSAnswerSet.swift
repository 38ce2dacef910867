/// What a DNS reply said, as far as a DNSBL lookup cares: header facts, the question, and the
/// A and TXT records of the answer section.
public struct DNSAnswerSet: Sendable, Equatable {
    /// The RCODE of the header. A struct, not an enum: servers may send any 4-bit value.
    public struct ResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let noError = ResponseCode(rawValue: 0)
        public static let formatError = ResponseCode(rawValue: 1)
        public static let serverFailure = ResponseCode(rawValue: 2)
        /// NXDOMAIN: for a DNSBL, "not listed".
        public static let nameError = ResponseCode(rawValue: 3)
        public static let notImplemented = ResponseCode(rawValue: 4)
        public static let refused = ResponseCode(rawValue: 5)

        public var description: String {
            switch rawValue {
            case 0: "NOERROR"
            case 1: "FORMERR"
            case 2: "SERVFAIL"
            case 3: "NXDOMAIN"
            case 4: "NOTIMP"
            case 5: "REFUSED"
            default: "RCODE\(rawValue)"
            }
        }
    }

    /// An A record of the answer section.
    public struct AddressRecord: Sendable, Equatable {
        /// Owner name as libresolv prints it (no trailing dot).
        public var name: String
        /// The IPv4 address, 4 bytes in network order.
        public var address: [UInt8]
        /// Time to live, seconds.
        public var ttl: UInt32

        public init(name: String, address: [UInt8], ttl: UInt32) {
            self.name = name
            self.address = address
            self.ttl = ttl
        }
    }

    /// A TXT record of the answer section.
    public struct TextRecord: Sendable, Equatable {
        /// Owner name as libresolv prints it (no trailing dot).
        public var name: String
        /// The character-strings of the record, in order, decoded as UTF-8
        /// (invalid sequences become U+FFFD).
        public var strings: [String]
        /// Time to live, seconds.
        public var ttl: UInt32

        public init(name: String, strings: [String], ttl: UInt32) {
            self.name = name
            self.strings = strings
            self.ttl = ttl
        }
    }

    /// The message ID, to match the reply to its query.
    public var id: UInt16
    public var responseCode: ResponseCode
    /// QR: set in replies, clear in queries.
    public var isResponse: Bool
    /// TC: the reply did not fit; its records are incomplete.
    public var isTruncated: Bool
    /// RD: recursion desired.
    public var isRecursionDesired: Bool
    /// The first question's name as libresolv prints it (no trailing dot), if there is one.
    public var questionName: String?
    /// The first question's type (1 = A, 16 = TXT), if there is one.
    public var questionType: UInt16?
    /// A records of class IN in the answer section, in order.
    public var addresses: [AddressRecord]
    /// TXT records of class IN in the answer section, in order.
    public var texts: [TextRecord]

    public init(id: UInt16, responseCode: ResponseCode, isResponse: Bool, isTruncated: Bool,
                isRecursionDesired: Bool, questionName: String?, questionType: UInt16?,
                addresses: [AddressRecord], texts: [TextRecord]) {
        self.id = id
        self.responseCode = responseCode
        self.isResponse = isResponse
        self.isTruncated = isTruncated
        self.isRecursionDesired = isRecursionDesired
        self.questionName = questionName
        self.questionType = questionType
        self.addresses = addresses
        self.texts = texts
    }
}
