// DNSServerSocket: one non-blocking UDP socket connected to one DNS server, on the loop; the
// resolver opens one per query (its kernel-chosen random source port is part of RFC 5452).
//
// Contract: `send` hands a query to the kernel (false when it could not, e.g. a full socket
// buffer: the lookup's retry timer covers the loss). Each readable report drains up to 64
// datagrams and passes each to `onDatagram`, whose buffer is valid only during the call.
// `close()` deregisters and closes; it is idempotent.
//
// Why a connected socket: the kernel then delivers only datagrams whose source is the server
// we asked, so a spoofed reply must also guess the source address and our port.
import Glibc
import EventIO

final class DNSServerSocket: ReadinessHandler {
    let server: SocketAddress
    let loop: EventLoop
    var onDatagram: ((UnsafeRawBufferPointer) -> Void)?
    private var fd: Int32

    init(server: SocketAddress, loop: EventLoop) throws(SocketError) {
        self.server = server
        self.loop = loop
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(server.family, type, 0)
        guard fd >= 0 else { throw SocketError.lastError("socket") }
        self.fd = fd
        guard server.withSockAddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            let error = SocketError.lastError("connect")
            Socket.close(fd)
            self.fd = -1
            throw error
        }
        do {
            try loop.register(fd, interest: .readable, handler: self)
        } catch {
            Socket.close(fd)
            self.fd = -1
            throw error
        }
    }

    deinit {
        if fd >= 0 { Socket.close(fd) }
    }

    var isOpen: Bool { fd >= 0 }

    /// Sends one datagram; false when the kernel did not take it.
    func send(_ packet: [UInt8]) -> Bool {
        guard isOpen else { return false }
        let sent = packet.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == packet.count
    }

    func handleReadiness(_ events: IOEvents) {
        let buffer = loop.readBuffer
        for _ in 0..<64 {
            guard isOpen else { return }
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count >= 0 {
                onDatagram?(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                continue
            }
            // EAGAIN: drained. ECONNREFUSED (an ICMP port unreachable) and other errors are
            // consumed by this recv; the lookups waiting on this server retry or time out.
            if errno == EINTR { continue }
            return
        }
    }

    public func close() {
        onDatagram = nil
        guard fd >= 0 else { return }
        loop.deregister(fd)
        Socket.close(fd)
        fd = -1
    }
}
