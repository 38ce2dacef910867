// DemoSink: the small SMTP server behind `relayguard demo`, so the demo runs with nothing
// else installed. It accepts the PROXY v2 header relayguard sends, then answers every
// command positively, swallows messages (reporting their size) and never delivers anything.
// Not a mail server: a stand-in backend for trying relayguard out.
import SMTPProtocol
import EventIO

public final class DemoSink {
    private let listener: Listener
    private var connections: [ObjectIdentifier: SinkConnection] = [:]
    private var queued = 0

    /// Listens on `address` (port 0: any free port).
    public init(address: SocketAddress, loop: EventLoop) throws(SocketError) {
        var accept: ((BufferedConnection) -> Void)?
        listener = try Listener(address: address, loop: loop) { accept?($0) }
        accept = { [unowned self] connection in
            let sink = SinkConnection(connection: connection) { [unowned self] in
                queued += 1
                return queued
            } onClose: { [unowned self] closed in
                connections.removeValue(forKey: ObjectIdentifier(closed))
            }
            connections[ObjectIdentifier(sink)] = sink
        }
    }

    public var address: SocketAddress { listener.address }

    /// Stops listening and drops every connection (the demo's end; tests).
    public func close() {
        listener.close()
        let open = connections.values
        connections.removeAll()
        for connection in open { connection.close() }
    }
}

private final class SinkConnection {
    private let connection: BufferedConnection
    private var header: [UInt8] = []
    private var headerDone = false
    private var framer = LineFramer()
    private var scanner: DataScanner?
    private let nextQueueID: () -> Int
    private let onClose: (SinkConnection) -> Void

    func close() {
        connection.close()
    }

    init(connection: BufferedConnection, nextQueueID: @escaping () -> Int, onClose: @escaping (SinkConnection) -> Void) {
        self.connection = connection
        self.nextQueueID = nextQueueID
        self.onClose = onClose
        connection.onRead = { [unowned self] bytes in received(Array(bytes)) }
        connection.onEndOfInput = { [unowned self] in finish() }
        connection.onError = { [unowned self] _ in finish() }
    }

    private func finish() {
        connection.close()
        onClose(self)
    }

    private func received(_ bytes: [UInt8]) {
        var input = bytes[...]
        if !headerDone {
            // PROXY v2: 16 fixed bytes, the last two giving the length of the rest.
            header += input
            input = []
            guard header.count >= 16 else { return }
            let total = 16 + Int(header[14]) << 8 + Int(header[15])
            guard header.count >= total else { return }
            headerDone = true
            input = header[total...]
            header = []
            connection.write("220 demo-sink.invalid ESMTP relayguard demo backend\r\n")
        }
        while !input.isEmpty {
            if var scanning = scanner {
                let result = scanning.scan(input)
                input = input.dropFirst(result.consumed)
                if result.isEndOfData {
                    scanner = nil
                    connection.write("250 2.0.0 Ok: \(scanning.messageBytes) bytes queued as DEMO\(nextQueueID()) (and discarded)\r\n")
                } else {
                    scanner = scanning
                    return
                }
            } else {
                framer.append(input)
                input = []
                while scanner == nil, let event = framer.nextEvent() {
                    answer(event)
                }
                if scanner != nil { input = framer.takeBufferedBytes()[...] }
            }
        }
    }

    private func answer(_ event: FramerEvent) {
        guard case .line(let line) = event, case .success(let command) = CommandParser.parse(line) else {
            connection.write("500 5.5.2 Error: bad syntax\r\n")
            return
        }
        switch command {
        case .ehlo:
            connection.write("250-demo-sink.invalid\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n")
        case .helo: connection.write("250 demo-sink.invalid\r\n")
        case .mail, .rset, .noop: connection.write("250 2.0.0 Ok\r\n")
        case .rcpt: connection.write("250 2.1.5 Ok\r\n")
        case .data:
            connection.write("354 End data with <CR><LF>.<CR><LF>\r\n")
            scanner = DataScanner()
        case .quit:
            connection.write("221 2.0.0 Bye\r\n")
            connection.closeAfterFlush()
        default:
            connection.write("502 5.5.1 Error: command not implemented\r\n")
        }
    }
}
