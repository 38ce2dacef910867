/// Builds DNS packets by hand for the parser tests, field by field as they go on the wire.
struct TestPacket {
    private(set) var bytes: [UInt8] = []

    /// Header: ID, flags word, and the four section counts.
    init(id: UInt16, flags: UInt16, questions: UInt16 = 1, answers: UInt16 = 0, authority: UInt16 = 0, additional: UInt16 = 0) {
        u16(id)
        u16(flags)
        u16(questions)
        u16(answers)
        u16(authority)
        u16(additional)
    }

    /// Flags words seen in real replies.
    static let replyNoError: UInt16 = 0x8180      // QR, RD, RA, NOERROR
    static let replyNXDomain: UInt16 = 0x8183     // QR, RD, RA, NXDOMAIN
    static let replyTruncated: UInt16 = 0x8380    // QR, TC, RD, RA
    static let replyServerFailure: UInt16 = 0x8182

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xFFFF))
    }

    /// An uncompressed name: its labels and the root label.
    mutating func name(_ dotted: String) {
        for label in dotted.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: label.utf8)
        }
        bytes.append(0)
    }

    /// A compression pointer to `offset` (0x0C is the question name right after the header).
    mutating func pointer(_ offset: UInt16) {
        u16(0xC000 | offset)
    }

    mutating func question(_ dotted: String, type: UInt16) {
        name(dotted)
        u16(type)
        u16(1)   // IN
    }

    /// A resource record whose owner is a pointer to the question name.
    mutating func record(type: UInt16, ttl: UInt32, data: [UInt8], ownerOffset: UInt16 = 0x0C, recordClass: UInt16 = 1) {
        pointer(ownerOffset)
        u16(type)
        u16(recordClass)
        u32(ttl)
        u16(UInt16(data.count))
        bytes.append(contentsOf: data)
    }

    /// TXT record data: each string as a length octet and its bytes.
    static func txtData(_ strings: [String]) -> [UInt8] {
        strings.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    /// SOA data for the zone whose name is at `zoneOffset` in the packet:
    /// MNAME ns.<zone>, RNAME hostmaster.<zone>, then serial, refresh, retry, expire, minimum.
    static func soaData(zoneOffset: UInt16) -> [UInt8] {
        let zone: [UInt8] = [0xC0 | UInt8(zoneOffset >> 8), UInt8(zoneOffset & 0xFF)]
        var data: [UInt8] = [2] + Array("ns".utf8) + zone
        data += [10] + Array("hostmaster".utf8) + zone
        for value: UInt32 in [2026113001, 3600, 600, 604800, 900] {
            data += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        return data
    }
}
