// ControlServer: the control socket (`control_socket`, a Unix socket, mode 0660) that
// `relayguard ctl` talks to, served by the event loop.
//
// Contract: one request line per connection (at most 512 octets, within 5 s), one reply, then
// the connection closes. A reply is lines of text ending in `ok` or starting with `error: `.
// A malformed or oversized request gets its error line and the close. What a request does is
// the target's business (`ControlTarget`): this file only frames, parses and answers.
import EventIO
import NetworkAddress

/// What the control socket can see and steer; `SMTPProxy` is the one implementation.
protocol ControlTarget: AnyObject {
    /// One line per block: address (or prefix), reason, time left.
    func controlBlocks() -> [String]
    /// Lifts the block of `address` (nil: every block); how many were lifted.
    func controlUnblock(_ address: IPAddress?) -> Int
    /// Blocks `address` for `duration`, as the harvest defence would.
    func controlBlock(_ address: IPAddress, for duration: Duration)
    /// The metrics, one `name{labels} value` per line.
    func controlStats() -> [String]
    /// One line per DNSBL zone: its health.
    func controlZones() -> [String]
    /// Session counts by state.
    func controlSessions() -> [String]
}

final class ControlServer {
    private let listener: UnixListener
    private var connections: [ObjectIdentifier: BufferedConnection] = [:]
    static let requestTimeout: Duration = .seconds(5)

    init(path: String, loop: EventLoop, target: ControlTarget) throws(SocketError) {
        var accept: ((BufferedConnection) -> Void)?
        listener = try UnixListener(path: path, mode: 0o660, loop: loop) { accept?($0) }
        accept = { [unowned self, unowned target] connection in serve(connection, loop: loop, target: target) }
    }

    var path: String { listener.path }

    func close() {
        listener.close()
        for connection in connections.values { connection.close() }
        connections.removeAll()
    }

    private func serve(_ connection: BufferedConnection, loop: EventLoop, target: ControlTarget) {
        let key = ObjectIdentifier(connection)
        connections[key] = connection
        var line: [UInt8] = []
        let deadline = loop.schedule(after: Self.requestTimeout) { [weak self, weak connection] in
            connection?.close()
            self?.connections.removeValue(forKey: key)
        }
        let answer = { [weak self] (lines: [String]) in
            _ = loop.cancel(deadline)
            connection.onRead = nil
            connection.write(lines.map { $0 + "\n" }.joined())
            connection.closeAfterFlush()
            self?.connections.removeValue(forKey: key)
        }
        connection.onRead = { bytes in
            line += bytes
            guard let end = line.firstIndex(of: 10) else {
                if line.count > ControlRequest.maxLineLength { answer(["error: \(ControlRequestError.tooLong)"]) }
                return
            }
            guard end < ControlRequest.maxLineLength else {
                answer(["error: \(ControlRequestError.tooLong)"])
                return
            }
            var text = line[..<end]
            if text.last == 13 { text = text.dropLast() }
            answer(Self.perform(String(decoding: text, as: UTF8.self), on: target))
        }
        connection.onEndOfInput = { [weak self] in
            _ = loop.cancel(deadline)
            connection.close()
            self?.connections.removeValue(forKey: key)
        }
        connection.onError = { [weak self] _ in
            _ = loop.cancel(deadline)
            connection.close()
            self?.connections.removeValue(forKey: key)
        }
    }

    /// The reply to one request line.
    static func perform(_ line: String, on target: ControlTarget) -> [String] {
        switch ControlRequest.parse(line) {
        case .failure(let error):
            return ["error: \(error)"]
        case .success(.blocks):
            let blocks = target.controlBlocks()
            return (blocks.isEmpty ? ["no blocks"] : blocks) + ["ok"]
        case .success(.unblock(let address)):
            return ["unblocked \(target.controlUnblock(address))", "ok"]
        case .success(.unblockAll):
            return ["unblocked \(target.controlUnblock(nil))", "ok"]
        case .success(.block(let address, let duration)):
            target.controlBlock(address, for: duration)
            return ["blocked \(address)", "ok"]
        case .success(.stats):
            return target.controlStats() + ["ok"]
        case .success(.zones):
            let zones = target.controlZones()
            return (zones.isEmpty ? ["no DNSBL zones configured"] : zones) + ["ok"]
        case .success(.sessions):
            return target.controlSessions() + ["ok"]
        }
    }
}
