// DNSTCPExchange: one DNS query over TCP, after a truncated UDP reply (RFC 7766).
//
// Contract (loop thread only): connects without blocking (`OutboundConnector`), sends the query
// with its 2-byte length prefix, reads until one length-prefixed message has arrived, then closes
// and calls the completion once with the message bytes, or with a failure text. `cancel()` closes
// everything and the completion never runs. The caller bounds the exchange with its own deadline
// (the connect timeout it passes, and `cancel()` when its deadline fires).
import EventIO

final class DNSTCPExchange {
    typealias Completion = (Result<[UInt8], DNSTCPFailure>) -> Void

    private var connector: OutboundConnector?
    private var connection: BufferedConnection?
    private var received: [UInt8] = []
    private var completion: Completion?

    init(server: SocketAddress, query: [UInt8], connectTimeout: Duration, loop: EventLoop, completion: @escaping Completion) {
        self.completion = completion
        var framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)]
        framed += query
        connector = OutboundConnector.connect(to: server, timeout: connectTimeout, loop: loop) { [self] result in
            connector = nil
            switch result {
            case .failure(let error):
                finish(.failure(DNSTCPFailure("tcp \(error)")))
            case .success(let connection):
                self.connection = connection
                connection.onRead = { [unowned self] bytes in received(bytes) }
                connection.onEndOfInput = { [unowned self] in finish(.failure(DNSTCPFailure("tcp: connection closed before the reply"))) }
                connection.onError = { [unowned self] error in finish(.failure(DNSTCPFailure("tcp \(error)"))) }
                connection.write(framed)
            }
        }
    }

    func cancel() {
        completion = nil
        connector?.cancel()
        connector = nil
        connection?.close()
        connection = nil
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        received.append(contentsOf: bytes)
        guard received.count >= 2 else { return }
        let length = Int(received[0]) << 8 | Int(received[1])
        guard received.count >= 2 + length else { return }
        finish(.success(Array(received[2..<(2 + length)])))
    }

    private func finish(_ result: Result<[UInt8], DNSTCPFailure>) {
        let completion = self.completion
        cancel()
        completion?(result)
    }
}

/// Why a TCP exchange failed, as one line for the log.
struct DNSTCPFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
