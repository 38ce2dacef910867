import CResolv

/// Reads DNS reply packets with libresolv's `ns_initparse` and `ns_parserr`.
///
/// Only what a DNSBL lookup needs is kept (`DNSAnswerSet`): ID, RCODE, flags, the question, and
/// the A and TXT records of the answer section; other records (a CNAME on the way, authority
/// and additional sections) are skipped. A packet libresolv cannot walk, or an A or TXT record
/// whose data does not fit its type, is an error, never a partial answer.
public enum DNSAnswer {
    public static func parse(_ packet: [UInt8]) throws -> DNSAnswerSet {
        try packet.withUnsafeBufferPointer { buffer in
            guard buffer.count >= Int(NS_HFIXEDSZ), buffer.count <= Int(Int32.max) else {
                throw DNSMessageError.malformedPacket
            }
            var message = ns_msg()
            guard ns_initparse(buffer.baseAddress, Int32(buffer.count), &message) == 0 else {
                throw DNSMessageError.malformedPacket
            }
            var answers = DNSAnswerSet(
                id: message._id,
                responseCode: .init(rawValue: Int(ns_msg_getflag(message, Int32(ns_f_rcode.rawValue)))),
                isResponse: ns_msg_getflag(message, Int32(ns_f_qr.rawValue)) != 0,
                isTruncated: ns_msg_getflag(message, Int32(ns_f_tc.rawValue)) != 0,
                isRecursionDesired: ns_msg_getflag(message, Int32(ns_f_rd.rawValue)) != 0,
                questionName: nil, questionType: nil, addresses: [], texts: [])

            var record = ns_rr()
            if message._counts.0 > 0 {
                guard ns_parserr(&message, ns_s_qd, 0, &record) == 0 else {
                    throw DNSMessageError.malformedRecord(section: "question", index: 0)
                }
                answers.questionName = ownerName(of: record)
                answers.questionType = record.type
            }
            let answerCount = Int(message._counts.1)
            for index in 0..<answerCount {
                guard ns_parserr(&message, ns_s_an, Int32(index), &record) == 0 else {
                    throw DNSMessageError.malformedRecord(section: "answer", index: index)
                }
                guard record.rr_class == UInt16(ns_c_in.rawValue) else {
                    continue
                }
                let data = UnsafeBufferPointer(start: record.rdata, count: Int(record.rdlength))
                switch record.type {
                case DNSQuery.RecordType.a.rawValue:
                    guard data.count == 4 else {
                        throw DNSMessageError.malformedRecord(section: "answer", index: index)
                    }
                    answers.addresses.append(.init(name: ownerName(of: record), address: Array(data), ttl: record.ttl))
                case DNSQuery.RecordType.txt.rawValue:
                    guard let strings = characterStrings(in: data) else {
                        throw DNSMessageError.malformedRecord(section: "answer", index: index)
                    }
                    answers.texts.append(.init(name: ownerName(of: record), strings: strings, ttl: record.ttl))
                default:
                    continue   // CNAME and anything else: not a listing
                }
            }
            return answers
        }
    }

    /// The owner name libresolv expanded into the record (a NUL-terminated C string).
    private static func ownerName(of record: ns_rr) -> String {
        withUnsafeBytes(of: record.name) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The RFC 1035 character-strings of TXT data (each a length octet and that many octets),
    /// or nil when one overruns the record.
    private static func characterStrings(in data: UnsafeBufferPointer<UInt8>) -> [String]? {
        var strings: [String] = []
        var index = 0
        while index < data.count {
            let length = Int(data[index])
            index += 1
            guard index + length <= data.count else {
                return nil
            }
            strings.append(String(decoding: UnsafeBufferPointer(rebasing: data[index..<(index + length)]), as: UTF8.self))
            index += length
        }
        return strings
    }
}
