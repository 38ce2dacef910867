// A tiny DNS server for the resolver tests: a UDP socket on 127.0.0.1 (kernel-chosen port) and a
// TCP listener on the same port, both on the test's event loop. Each question is answered the way
// `behaviour(name, type)` says, with packets built here byte by byte.
import DNSBL
import Glibc
@testable import ProxyServer
@testable import EventIO
@testable import DNSBLResolver

enum FakeDNSBehaviour {
    /// NOERROR with these A records (each 4 bytes) and TXT strings.
    case answer(addresses: [[UInt8]], texts: [String] = [], ttl: UInt32 = 300)
    /// NXDOMAIN with the zone's SOA (MINIMUM `negativeTTL`) in the authority section.
    case nxdomain(negativeTTL: UInt32 = 600)
    case servfail
    /// Never answers.
    case silent
    /// UDP: TC set and no records; TCP: `then`.
    indirect case truncated(then: FakeDNSBehaviour)
    /// First a reply with another ID (saying `decoy`), then one with the wrong question name
    /// (saying `decoy`), then the real one (`then`).
    indirect case forgedFirst(decoy: FakeDNSBehaviour, then: FakeDNSBehaviour)
    /// Ignores the first query for the name, answers later ones as `then`.
    indirect case dropFirst(then: FakeDNSBehaviour)
}

final class FakeDNSServer: ReadinessHandler {
    let loop: EventLoop
    let address: SocketAddress
    var behaviour: (_ name: String, _ type: UInt16) -> FakeDNSBehaviour
    /// Every question received over UDP, as `name/type` (name lower case, no trailing dot).
    private(set) var udpQuestions: [String] = []
    private(set) var tcpQuestions: [String] = []
    /// The source port and ID of every UDP question, in arrival order.
    private(set) var udpSources: [(port: UInt16, id: UInt16)] = []
    private var fd: Int32
    private var listener: Listener?
    private var tcpClients: [BufferedConnection] = []

    init(loop: EventLoop, behaviour: @escaping (_ name: String, _ type: UInt16) -> FakeDNSBehaviour) throws {
        self.loop = loop
        self.behaviour = behaviour
        var attempt = 0
        while true {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError.lastError("socket") }
            guard SocketAddress("127.0.0.1:0")!.withSockAddr({ bind(fd, $0, $1) }) == 0,
                  let bound = Socket.localAddress(fd) else { throw SocketError.lastError("bind") }
            // TCP on the same port number, for the truncation fallback.
            if let listener = try? Listener(address: bound, loop: loop, onAccept: { _ in }) {
                self.fd = fd
                self.address = bound
                self.listener = listener
                break
            }
            Socket.close(fd)
            attempt += 1
            if attempt > 20 { throw SocketError.system(call: "bind (no port free for UDP and TCP)", errno: EADDRINUSE) }
        }
        listener?.onAccept = { [unowned self] connection in accepted(connection) }
        try loop.register(fd, interest: .readable, handler: self)
    }

    func close() {
        if fd >= 0 {
            loop.deregister(fd)
            Socket.close(fd)
            fd = -1
        }
        listener?.close()
        listener = nil
        tcpClients.forEach { $0.close() }
        tcpClients = []
    }

    func udpCount(_ name: String) -> Int {
        udpQuestions.filter { $0.hasPrefix(name + "/") }.count
    }

    // MARK: UDP

    func handleReadiness(_ events: IOEvents) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &peer) { peerPointer in
            peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
        }
        guard count > 0, let query = try? DNSAnswer.parse(Array(buffer[..<count])),
              let name = query.questionName, let type = query.questionType else { return }
        let question = Array(buffer[12..<count])
        let key = "\(name.lowercased())/\(type)"
        let earlier = udpQuestions.filter { $0 == key }.count
        udpQuestions.append(key)
        udpSources.append((SocketAddress(storage: peer)?.port ?? 0, query.id))
        for reply in udpReplies(behaviour(name.lowercased(), type), id: query.id, question: question, earlier: earlier) {
            _ = reply.withUnsafeBytes { bytes in
                withUnsafePointer(to: &peer) { peerPointer in
                    peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, length) }
                }
            }
        }
    }

    private func udpReplies(_ behaviour: FakeDNSBehaviour, id: UInt16, question: [UInt8], earlier: Int) -> [[UInt8]] {
        switch behaviour {
        case .silent:
            return []
        case .truncated:
            return [Self.packet(id: id, rcode: 0, truncated: true, question: question, addresses: [], texts: [], ttl: 0)]
        case .forgedFirst(let decoy, let then):
            var wrongName = question
            wrongName[1] = wrongName[1] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")  // first label's first digit
            return udpReplies(decoy, id: id &+ 1, question: question, earlier: earlier)
                + udpReplies(decoy, id: id, question: wrongName, earlier: earlier)
                + udpReplies(then, id: id, question: question, earlier: earlier)
        case .dropFirst(let then):
            return earlier == 0 ? [] : udpReplies(then, id: id, question: question, earlier: earlier)
        case .answer, .nxdomain, .servfail:
            return [Self.reply(behaviour, id: id, question: question)].compactMap { $0 }
        }
    }

    // MARK: TCP

    private func accepted(_ connection: BufferedConnection) {
        tcpClients.append(connection)
        var received: [UInt8] = []
        connection.onRead = { [unowned self, unowned connection] bytes in
            received += bytes
            guard received.count >= 2 else { return }
            let length = Int(received[0]) << 8 | Int(received[1])
            guard received.count >= 2 + length else { return }
            let message = Array(received[2..<(2 + length)])
            guard let query = try? DNSAnswer.parse(message), let name = query.questionName, let type = query.questionType else { return }
            tcpQuestions.append("\(name.lowercased())/\(type)")
            var behaviour = behaviour(name.lowercased(), type)
            if case .truncated(let then) = behaviour { behaviour = then }
            guard let reply = Self.reply(behaviour, id: query.id, question: Array(message[12...])) else { return }
            connection.write([UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply)
        }
    }

    // MARK: Packets

    /// The reply for a plain behaviour (answer, NXDOMAIN, SERVFAIL); nil for the others.
    static func reply(_ behaviour: FakeDNSBehaviour, id: UInt16, question: [UInt8]) -> [UInt8]? {
        switch behaviour {
        case .answer(let addresses, let texts, let ttl):
            return packet(id: id, rcode: 0, truncated: false, question: question, addresses: addresses, texts: texts, ttl: ttl)
        case .nxdomain(let negativeTTL):
            var bytes = packet(id: id, rcode: 3, truncated: false, question: question, addresses: [], texts: [], ttl: 0)
            bytes[9] = 1   // NSCOUNT
            // SOA owned by the question name (simpler than finding the zone; the TTL logic is the same).
            bytes += [0xC0, 0x0C, 0, 6, 0, 1] + be32(3600)
            let soa: [UInt8] = [0xC0, 0x0C, 0xC0, 0x0C] + be32(1) + be32(3600) + be32(600) + be32(86400) + be32(negativeTTL)
            bytes += be16(UInt16(soa.count)) + soa
            return bytes
        case .servfail:
            return packet(id: id, rcode: 2, truncated: false, question: question, addresses: [], texts: [], ttl: 0)
        case .silent, .truncated, .forgedFirst, .dropFirst:
            return nil
        }
    }

    static func packet(id: UInt16, rcode: UInt8, truncated: Bool, question: [UInt8], addresses: [[UInt8]], texts: [String], ttl: UInt32) -> [UInt8] {
        let flagsHigh: UInt8 = 0x81 | (truncated ? 0x02 : 0)   // QR, RD (and TC)
        let questionType = UInt16(question[question.count - 4]) << 8 | UInt16(question[question.count - 3])
        var answers: [[UInt8]] = []
        if questionType == 1 {
            answers = addresses.map { [0xC0, 0x0C, 0, 1, 0, 1] + be32(ttl) + [0, 4] + $0 }
        } else if questionType == 16, !texts.isEmpty {
            let data = texts.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            answers = [[0xC0, 0x0C, 0, 16, 0, 1] + be32(ttl) + be16(UInt16(data.count)) + data]
        }
        var bytes = be16(id) + [flagsHigh, 0x80 | rcode] + [0, 1] + be16(UInt16(answers.count)) + [0, 0, 0, 0]
        bytes += question
        for answer in answers { bytes += answer }
        return bytes
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
}
