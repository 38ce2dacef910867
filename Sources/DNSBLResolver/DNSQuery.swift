import CResolv

/// Builds DNS query packets with libresolv's `res_nmkquery`.
///
/// The packet asks for recursion (RD set, as a stub talking to a recursive server must),
/// class IN, one question, no EDNS. The caller chooses the query ID, so the transport can match
/// replies to queries; it should be unpredictable (RFC 5452).
///
/// Why no `res_ninit`: it reads /etc/resolv.conf, and building a query needs none of that.
/// A zero-initialised resolver state with only `RES_RECURSE` set is enough for
/// `res_nmkquery`, touches no file and no network, and is local to the call, so building
/// queries is safe from any thread.
public enum DNSQuery {
    /// The record types relayguard asks DNSBLs for.
    public enum RecordType: UInt16, Sendable, CaseIterable {
        /// The listing itself: an address in 127.0.0.0/8.
        case a = 1
        /// The list's explanation text.
        case txt = 16
    }

    /// The query packet for `name` (absolute when it ends with a dot), `type`, class IN.
    public static func make(name: String, type: RecordType, id: UInt16) throws -> [UInt8] {
        guard !name.utf8.contains(0) else {
            throw DNSMessageError.invalidName(name)
        }
        var state: res_state.Pointee = .init()
        state.options = UInt(RES_RECURSE)
        var packet = [UInt8](repeating: 0, count: Int(NS_PACKETSZ))
        let length = withUnsafeMutablePointer(to: &state) { statePointer in
            packet.withUnsafeMutableBufferPointer { buffer in
                res_nmkquery(statePointer, Int32(ns_o_query.rawValue), name, Int32(ns_c_in.rawValue),
                             Int32(type.rawValue), nil, 0, nil, buffer.baseAddress, Int32(buffer.count))
            }
        }
        guard length >= Int32(NS_HFIXEDSZ) else {
            throw DNSMessageError.invalidName(name)
        }
        packet.removeSubrange(Int(length)...)
        // res_nmkquery picks a random ID; the transport owns IDs, so ours replaces it.
        packet[0] = UInt8(id >> 8)
        packet[1] = UInt8(id & 0xFF)
        return packet
    }
}
