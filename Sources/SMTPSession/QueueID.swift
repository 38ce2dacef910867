import SMTPProtocol

/// The queue id a backend names when it accepts a message, so a `message` record can be found
/// in the MTA's own log: Postfix says `250 2.0.0 Ok: queued as 4XyZ1abc`, Exim
/// `250 OK id=1rAbCd-000123-Xy`.
enum QueueID {
    /// The id in an accepting reply, or nil when it names none. Only characters a queue id is
    /// made of are taken (letters, digits, `-`, `_`, `.`), at most 64 of them.
    static func named(in reply: Reply) -> String? {
        let text = Array(reply.text.utf8)
        for marker in ["queued as ", "id="].map({ Array($0.utf8) }) {
            guard let start = firstIndex(of: marker, in: text) else { continue }
            let id = text[(start + marker.count)...].prefix { byte in
                ASCII.uppercased(byte) &- 65 < 26 || byte &- 48 < 10 || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
            if !id.isEmpty && id.count <= 64 { return String(decoding: id, as: UTF8.self) }
        }
        return nil
    }

    private static func firstIndex(of marker: [UInt8], in text: [UInt8]) -> Int? {
        guard text.count >= marker.count else { return nil }
        return (0...(text.count - marker.count)).first { text[$0..<($0 + marker.count)].elementsEqual(marker) }
    }
}
