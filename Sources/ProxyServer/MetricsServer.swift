// MetricsServer: `GET /metrics` for Prometheus on `metrics_listen`, served by the event loop.
//
// Contract: one request per connection, read up to its blank line (at most 8 KiB, within
// 5 s); `GET /metrics` (any query string) gets `200` with the exposition, anything else `404`
// or `400`; the connection closes after the reply. A slow or hostile scraper costs one
// connection and never blocks a session: everything is non-blocking on the loop.
import EventIO

final class MetricsServer {
    private let listener: Listener
    private var connections: [ObjectIdentifier: BufferedConnection] = [:]
    static let maxRequestBytes = 8 * 1024
    static let requestTimeout: Duration = .seconds(5)

    /// Listens on `address`; `exposition` renders the page for each scrape.
    init(address: SocketAddress, loop: EventLoop, exposition: @escaping () -> String) throws(SocketError) {
        var accept: ((BufferedConnection) -> Void)?
        listener = try Listener(address: address, loop: loop) { accept?($0) }
        accept = { [unowned self] connection in serve(connection, loop: loop, exposition: exposition) }
    }

    var address: SocketAddress { listener.address }

    func close() {
        listener.close()
        for connection in connections.values { connection.close() }
        connections.removeAll()
    }

    private func serve(_ connection: BufferedConnection, loop: EventLoop, exposition: @escaping () -> String) {
        let key = ObjectIdentifier(connection)
        connections[key] = connection
        var request: [UInt8] = []
        let deadline = loop.schedule(after: Self.requestTimeout) { [weak self, weak connection] in
            connection?.close()
            self?.connections.removeValue(forKey: key)
        }
        let finish = { [weak self] (status: String, body: String) in
            _ = loop.cancel(deadline)
            connection.onRead = nil
            connection.write("HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
            connection.closeAfterFlush()
            self?.connections.removeValue(forKey: key)
        }
        connection.onRead = { bytes in
            request += bytes
            guard let end = Self.endOfHeaders(request) else {
                if request.count > Self.maxRequestBytes { finish("400 Bad Request", "request too large\n") }
                return
            }
            let line = request[..<end].prefix { $0 != 13 && $0 != 10 }
            let words = line.split(separator: UInt8(ascii: " "))
            guard words.count == 3, words[0].elementsEqual("GET".utf8) else {
                finish("400 Bad Request", "only GET /metrics is served\n")
                return
            }
            let path = words[1].prefix { $0 != UInt8(ascii: "?") }
            if path.elementsEqual("/metrics".utf8) {
                finish("200 OK", exposition())
            } else {
                finish("404 Not Found", "the metrics are at /metrics\n")
            }
        }
        connection.onEndOfInput = { [weak self] in
            _ = loop.cancel(deadline)
            connection.close()
            self?.connections.removeValue(forKey: key)
        }
        connection.onError = connection.onEndOfInput.map { handler in { _ in handler() } }
    }

    /// The index just past the request's blank line, when it has come.
    static func endOfHeaders(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}
