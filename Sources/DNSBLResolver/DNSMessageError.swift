/// Why a DNS message could not be built or read.
public enum DNSMessageError: Error, Sendable, Equatable {
    /// `res_nmkquery` refused the name (a label over 63 octets, a name over 255, a NUL byte).
    case invalidName(String)
    /// `ns_initparse` refused the packet: too short, counts that do not match the sections,
    /// or bytes left over.
    case malformedPacket
    /// `ns_parserr` could not read record `index` of the section, or its data is inconsistent
    /// with its type (an A record that is not 4 bytes, a TXT string that overruns its record).
    case malformedRecord(section: String, index: Int)
}
